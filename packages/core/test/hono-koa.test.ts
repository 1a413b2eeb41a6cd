/**
 * Hono and Koa need no adapter package: both run on a node:http server that core attaches. The lifecycle
 * conformance suite, unchanged, over each; and examples/hono and examples/koa under SIGTERM, with the acceptance
 * scenario examples/node-http passes (signals.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { conformance, expectAcceptance } from '@draingate/testkit/conformance';
import { type Forked, fetchOnce, fork, runToExit } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { hono, koa } from './helpers/frameworks.js';

conformance(hono);
conformance(koa);

const examples = {
  hono: fileURLToPath(new URL('../../../examples/hono/server.mjs', import.meta.url)),
  koa: fileURLToPath(new URL('../../../examples/koa/server.mjs', import.meta.url)),
};
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

describe.each(Object.entries(examples))('examples/%s', (_name, script) => {
  it('under SIGTERM: /readyz 503 at once, 200 + Connection: close while draining, in-flight /work completes, exit 0', async () => {
    const f = await expectAcceptance(script, (forked) => {
      children.push(forked);
    });
    expect(f.events.filter((e) => e.event === 'state').map((e) => `${e.from}->${e.to}`)).toEqual([
      'starting->ready',
      'ready->draining',
      'draining->stopping',
      'stopping->stopped',
    ]);
    expect(f.events.map((e) => e.event)).toEqual(['listening', 'state', 'state', 'state', 'hooks', 'state']);
  });

  it("serves the examples' routes: GET / and a JSON 404", async () => {
    const f = await fork(script, { PORT: '0', HOST: '127.0.0.1' });
    children.push(f);
    const root = await fetchOnce('http1', f.port, '/');
    expect(root.status).toBe(200);
    expect(JSON.parse(root.body)).toEqual({ hello: 'world', pid: f.child.pid });
    const missing = await fetchOnce('http1', f.port, '/nope');
    expect([missing.status, JSON.parse(missing.body)]).toEqual([404, { error: 'not found' }]);
  });

  it('fails at start-up on invalid configuration with the message naming the variable, exit 2', async () => {
    const r = await runToExit(script, { PORT: '0', DRAINGATE_MAX_DELAY: '20' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DRAINGATE_MAX_DELAY has the invalid duration "20" \(a bare number has no unit\)/);
  });
});
