/**
 * examples/next/server.mjs, built by its build.mjs (cached outside the clone), under SIGTERM: the acceptance
 * scenario examples/node-http passes, and Next's own cleanup (after() callbacks) inside the stop sequence.
 */
import { ACCEPTANCE_ENV, expectAcceptance } from '@draingate/testkit/conformance';
import { connect, type Forked, fetchOnce, fork, type Resp, runToExit, sleep } from '@draingate/testkit/http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildExample, exampleServer } from './helpers/example.js';

const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});
beforeAll(buildExample);

describe('examples/next under SIGTERM', () => {
  it('503 at once, 200 + Connection: close while draining, in-flight /work?ms=1500 completes, exit 0 (like examples/node-http)', async () => {
    const f = await expectAcceptance(
      exampleServer,
      (forked) => {
        children.push(forked);
      },
      60_000,
    );
    expect(f.events.filter((e) => e.event === 'state').map((e) => `${e.from}->${e.to}`)).toEqual([
      'starting->ready',
      'ready->draining',
      'draining->stopping',
      'stopping->stopped',
    ]);
    expect(f.events.map((e) => e.event)).toEqual(['listening', 'state', 'state', 'state', 'hooks', 'state']);
    // Next did not take the signal: no exit code 143 (its start-server's), and draingate's sequence ran to the end.
    expect(f.stderr()).not.toMatch(/Error/);
  });

  it('serves the page at /, the route handler at /work and a JSON 404, through Next', async () => {
    const f = await fork(exampleServer, { PORT: '0', HOST: '127.0.0.1' }, 60_000);
    children.push(f);
    const page = await fetchOnce('http1', f.port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>hello world</h1>');
    const work = await fetchOnce('http1', f.port, '/work?ms=20');
    expect([work.status, JSON.parse(work.body)]).toEqual([200, { worked: 20 }]);
    const missing = await fetchOnce('http1', f.port, '/nope');
    expect([missing.status, JSON.parse(missing.body)]).toEqual([404, { error: 'not found' }]);
    // The probes are the gate's, answered before Next sees the request.
    const ready = await fetchOnce('http1', f.port, '/readyz');
    expect([ready.status, JSON.parse(ready.body)]).toEqual([200, { status: 'ready' }]);
  });

  it("awaits Next's after() callbacks in the stop hooks: a callback that outlives draining finishes before exit 0", async () => {
    // Draining ends at 1 s; the request ends at 2 s; its after() callback runs 800 ms more, during the hooks.
    const f = await fork(exampleServer, { ...ACCEPTANCE_ENV, DRAINGATE_MAX_DELAY: '1s' }, 60_000);
    children.push(f);
    const slow = connect('http1', f.port)
      .request('/work?ms=2000&after=800')
      .catch((e: Error) => e);
    await sleep(100);
    f.child.kill('SIGTERM');
    const r = (await slow) as Resp;
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { worked: 2000 }]);
    const exit = await f.exited;
    expect(exit.code).toBe(0);
    const after = f.events.find((e) => e.event === 'after');
    expect(after).toMatchObject({ ms: 800 });
    const stoppingAt = f.stateAt('stopping') as number;
    const stoppedAt = f.stateAt('stopped') as number;
    // The callback ran after the request, while the hooks ran: it finished after stopping began and before stopped.
    expect(after!.at as number).toBeGreaterThan(stoppingAt);
    expect(after!.at as number).toBeLessThanOrEqual(stoppedAt);
    // Next's cleanup ran before the example's own hook (registered earlier, so it runs later).
    const hooks = f.events.find((e) => e.event === 'hooks')!;
    expect(hooks.at as number).toBeGreaterThanOrEqual(after!.at as number);
  });

  it('fails at start-up on invalid configuration with the message naming the variable, exit 2', async () => {
    const r = await runToExit(exampleServer, { PORT: '0', DRAINGATE_MAX_DELAY: '20' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DRAINGATE_MAX_DELAY has the invalid duration "20" \(a bare number has no unit\)/);
  });
});
