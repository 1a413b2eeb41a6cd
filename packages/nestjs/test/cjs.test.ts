/**
 * ESM-only, and usable from CommonJS, which is what most Nest projects compile to: a .cjs Nest app require()s the
 * built package (require(esm), Node >= 20.19), then drains on SIGTERM, runs onModuleDestroy after the in-flight
 * request, and exits 0, on both platforms.
 */
import { fileURLToPath } from 'node:url';
import { connect, type Forked, fetchOnce, fork, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/app.cjs', import.meta.url));
// Nest starts in ~1 s; on the shared 2-core machine under load it has taken more than fork()'s default 10 s.
const START_TIMEOUT = 30_000;
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

describe('a CommonJS Nest app that require()s @draingate/nestjs', () => {
  for (const platform of ['express', 'fastify']) {
    it(`Nest 11 on ${platform}: loads, serves, drains on SIGTERM, onModuleDestroy after the in-flight request, exit 0`, async () => {
      const f = await fork(
        fixture,
        {
          NEST_PLATFORM: platform,
          DRAINGATE_MIN_DELAY: '1s',
          DRAINGATE_MAX_DELAY: '1s',
          DRAINGATE_DRAIN_TIMEOUT: '3s',
          DRAINGATE_GRACE_PERIOD: '10s',
        },
        START_TIMEOUT,
      );
      children.push(f);
      expect(f.events.find((e) => e.event === 'listening')!.exports).toEqual([
        'DRAINGATE_OPTIONS',
        'DraingateConfigError',
        'DraingateHealthIndicator',
        'DraingateModule',
        'DraingateService',
      ]);
      const c = connect('http1', f.port);
      expect((await c.request('/readyz')).status).toBe(200);
      const inflight = connect('http1', f.port).request('/work?ms=1500');
      await sleep(100);
      f.child.kill('SIGTERM');
      await sleep(200);
      const during = await fetchOnce('http1', f.port, '/');
      expect(during.status).toBe(200);
      expect(during.connectionClose).toBe(true);
      expect((await inflight).status).toBe(200);
      const exit = await f.exited;
      expect(exit.code).toBe(0);
      // Stopping began while the request was in flight (maxDelay 1 s < 1.5 s); Nest's hook came after it, on the
      // app's own clock.
      const at = (event: string) => f.events.find((e) => e.event === event)?.at as number;
      expect(at('work done')).toBeGreaterThan(f.stateAt('stopping')!);
      expect(at('onModuleDestroy')).toBeGreaterThan(at('work done'));
      c.close();
    }, 60_000);
  }
});
