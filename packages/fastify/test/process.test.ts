/** Real processes and signals: the example under SIGTERM, and a CommonJS app. */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, fetchOnce, type Resp, sleep } from '../../core/test/helpers/client.js';
import { type Forked, fork } from '../../core/test/helpers/fork.js';

const example = fileURLToPath(new URL('../../../examples/fastify/server.mjs', import.meta.url));
const cjs = fileURLToPath(new URL('./fixtures/app.cjs', import.meta.url));
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

describe('examples/fastify under SIGTERM (same checks as examples/node-http)', () => {
  it('503 at once, 200 + Connection: close until draining ends, in-flight completes, onClose runs, exit 0 within maxDelay + 2s', async () => {
    const f = await fork(example, {
      PORT: '0',
      HOST: '127.0.0.1',
      DRAINGATE_MIN_DELAY: '1s',
      DRAINGATE_MAX_DELAY: '3s',
      DRAINGATE_DRAIN_TIMEOUT: '5s',
      DRAINGATE_GRACE_PERIOD: '15s',
    });
    children.push(f);
    const probe = connect('http1', f.port);
    expect((await probe.request('/readyz')).status).toBe(200);
    const inflight = connect('http1', f.port)
      .request('/work?ms=1500')
      .catch((e: Error) => e);
    await sleep(50);
    const killedAt = Date.now();
    f.child.kill('SIGTERM');
    let flippedAt = 0;
    for (let i = 0; i < 400 && !flippedAt; i++) {
      const r = await fetchOnce('http1', f.port, '/readyz');
      if (r.status === 503) flippedAt = Date.now();
      else await sleep(5);
    }
    expect(flippedAt - killedAt).toBeLessThan(500);
    const seen: { at: number; r: Resp | Error }[] = [];
    for (let i = 0; i < 100 && f.child.exitCode === null; i++) {
      seen.push({ at: Date.now(), r: await fetchOnce('http1', f.port, '/').catch((e: Error) => e) });
      await sleep(100);
    }
    const exit = await f.exited;
    const stoppingAt = f.stateAt('stopping')!;
    const whileDraining = seen.filter((s) => s.at < stoppingAt - 50);
    expect(whileDraining.length).toBeGreaterThanOrEqual(15);
    for (const s of whileDraining) {
      expect(s.r).not.toBeInstanceOf(Error);
      expect((s.r as Resp).status).toBe(200);
      expect((s.r as Resp).connectionClose).toBe(true);
    }
    const slow = (await inflight) as Resp;
    expect(slow.status).toBe(200);
    expect(JSON.parse(slow.body)).toEqual({ worked: 1500 });
    expect(f.events.some((e) => e.event === 'onClose')).toBe(true);
    expect(exit.code).toBe(0);
    expect(exit.at - killedAt).toBeGreaterThanOrEqual(2900);
    expect(exit.at - killedAt).toBeLessThan(5000);
    probe.close();
  });
});

describe('CommonJS', () => {
  it('require()s @draingate/fastify and shuts down cleanly on SIGTERM', async () => {
    const f = await fork(cjs, { DRAINGATE_MIN_DELAY: '100ms', DRAINGATE_MAX_DELAY: '300ms' });
    children.push(f);
    expect((await fetchOnce('http1', f.port, '/readyz')).status).toBe(200);
    expect(JSON.parse((await fetchOnce('http1', f.port, '/')).body)).toEqual({ cjs: true });
    f.child.kill('SIGTERM');
    const exit = await f.exited;
    expect(exit.code).toBe(0);
    expect(f.events.some((e) => e.event === 'onClose')).toBe(true);
  });
});
