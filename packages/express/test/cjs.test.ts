/**
 * ESM-only, and usable from CommonJS: a .cjs Express app require()s the built package (require(esm), Node >=
 * 20.19), then behaves under SIGTERM like every other server kind.
 */
import { fileURLToPath } from 'node:url';
import { connect, type Forked, fetchOnce, fork, type Resp, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { flavours } from './helpers/apps.js';

const fixture = fileURLToPath(new URL('./fixtures/app.cjs', import.meta.url));
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

describe('a CommonJS app that require()s @draingate/express', () => {
  for (const flavour of flavours) {
    it(`${flavour.name}: loads, serves, drains on SIGTERM (errors included) and exits 0`, async () => {
      const f = await fork(fixture, {
        // Express 5 is the package's own dev dependency `express`: require('express') as an app would.
        EXPRESS: flavour.major === 5 ? 'express' : 'express4',
        DRAINGATE_MIN_DELAY: '1500ms',
        DRAINGATE_MAX_DELAY: '1500ms',
        DRAINGATE_DRAIN_TIMEOUT: '3s',
        DRAINGATE_GRACE_PERIOD: '10s',
      });
      children.push(f);
      const listening = f.events.find((e) => e.event === 'listening')!;
      expect(listening.exports).toEqual(['DraingateConfigError', 'draingate']);
      expect(String(listening.express).split('.')[0]).toBe(String(flavour.major));

      const c = connect('http1', f.port);
      expect((await c.request('/readyz')).status).toBe(200);
      const before = await c.request('/');
      expect(before.status).toBe(200);
      expect(before.connectionClose).toBe(false);
      const inflight = connect('http1', f.port).request('/work?ms=1000');
      await sleep(100);

      f.child.kill('SIGTERM');
      let readyz: Resp | null = null;
      for (let i = 0; i < 100 && readyz?.status !== 503; i++) {
        readyz = await fetchOnce('http1', f.port, '/readyz');
        if (readyz.status !== 503) await sleep(10);
      }
      expect(readyz?.status).toBe(503);
      const during = await c.request('/');
      expect(during.status).toBe(200);
      expect(during.reused).toBe(true);
      expect(during.connectionClose).toBe(true);
      const failed = await fetchOnce('http1', f.port, '/boom');
      expect(failed.status).toBe(500);
      expect(JSON.parse(failed.body)).toEqual({ error: 'boom' });
      expect(failed.connectionClose).toBe(true);

      const slow = await inflight;
      expect(slow.status).toBe(200);
      expect(JSON.parse(slow.body)).toEqual({ worked: 1000 });
      const exit = await f.exited;
      expect(exit.code, f.stderr()).toBe(0);
      expect(f.events.filter((e) => e.event === 'state').map((e) => e.to)).toEqual(['ready', 'draining', 'stopping', 'stopped']);
      expect(f.stderr()).not.toMatch(/ERR_REQUIRE|ExperimentalWarning/); // no warning for require(esm) on Node >= 20.19
      c.close();
    });
  }
});
