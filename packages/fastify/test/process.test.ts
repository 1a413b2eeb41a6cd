/** Real processes and signals: the example under SIGTERM, and a CommonJS app. */
import { fileURLToPath } from 'node:url';
import { expectAcceptance } from '@draingate/testkit/conformance';
import { type Forked, fetchOnce, fork } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../../../examples/fastify/server.mjs', import.meta.url));
const cjs = fileURLToPath(new URL('./fixtures/app.cjs', import.meta.url));
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

describe('examples/fastify under SIGTERM (same checks as examples/node-http)', () => {
  it('503 at once, 200 + Connection: close until draining ends, in-flight completes, onClose runs, exit 0 within maxDelay + 2s', async () => {
    const f = await expectAcceptance(example, (forked) => children.push(forked));
    expect(f.events.some((e) => e.event === 'onClose')).toBe(true);
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
