/**
 * Signal handling, the close-with-grace way: fork a real process, send real signals, assert exit code,
 * timing and what clients saw.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectAcceptance, untilNotReady } from '@draingate/testkit/conformance';
import { connect, type Forked, fetchOnce, fork, type Protocol, runToExit, sleep, testTls } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../../../examples/node-http/server.mjs', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/server.mjs', import.meta.url));
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

async function start(script: string, env: Record<string, string>) {
  const f = await fork(script, env);
  children.push(f);
  return f;
}

function tlsEnv(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'draingate-fixture-'));
  const { key, cert } = testTls();
  writeFileSync(join(dir, 'key.pem'), key);
  writeFileSync(join(dir, 'cert.pem'), cert);
  return { TLS_KEY: join(dir, 'key.pem'), TLS_CERT: join(dir, 'cert.pem') };
}

describe('examples/node-http under SIGTERM (the acceptance scenario)', () => {
  it('503 at once, 200 + Connection: close until draining ends, in-flight completes, exit 0 within maxDelay + 2s', async () => {
    await expectAcceptance(example, (f) => children.push(f));
  });
});

describe('signals', () => {
  it('SIGINT shuts down like SIGTERM', async () => {
    const f = await start(fixture, { DRAINGATE_MIN_DELAY: '100ms', DRAINGATE_MAX_DELAY: '300ms' });
    f.child.kill('SIGINT');
    const exit = await f.exited;
    expect(exit.code).toBe(0);
    expect(f.events.filter((e) => e.event === 'state').map((e) => e.to)).toEqual(['ready', 'draining', 'stopping', 'stopped']);
  });

  it('a shutdown the app starts itself leaves exiting to the app', async () => {
    const f = await start(fixture, { DRAINGATE_MIN_DELAY: '100ms', DRAINGATE_MAX_DELAY: '200ms', SELF_SHUTDOWN: '1' });
    const exit = await f.exited;
    expect(f.events.find((e) => e.event === 'result')).toEqual({ event: 'result', exitCode: 0 });
    expect(exit.code).toBe(7);
  });

  it('a second signal forces exit at once with code 1', async () => {
    const f = await start(fixture, { DRAINGATE_MIN_DELAY: '5s', DRAINGATE_MAX_DELAY: '10s' });
    f.child.kill('SIGTERM');
    await sleep(300);
    const second = Date.now();
    f.child.kill('SIGTERM');
    const exit = await f.exited;
    expect(exit.code).toBe(1);
    expect(exit.at - second).toBeLessThan(1500);
    expect(f.stderr()).toMatch(/second SIGTERM: forcing exit now/);
  });

  it('exits 1 when a request outlives drainTimeout and is cut', async () => {
    const f = await start(fixture, { DRAINGATE_MIN_DELAY: '100ms', DRAINGATE_MAX_DELAY: '200ms', DRAINGATE_DRAIN_TIMEOUT: '500ms' });
    const slow = connect('http1', f.port)
      .request('/work?ms=10000')
      .catch((e: Error) => e);
    await sleep(100);
    f.child.kill('SIGTERM');
    const exit = await f.exited;
    expect(exit.code).toBe(1);
    expect(await slow).toBeInstanceOf(Error);
    expect(f.stderr()).toMatch(/drainTimeout reached/);
  });

  it('exits 1 when a shutdown hook fails, after running the others', async () => {
    const f = await start(fixture, { DRAINGATE_MIN_DELAY: '100ms', DRAINGATE_MAX_DELAY: '200ms', HOOK: 'fail' });
    f.child.kill('SIGTERM');
    const exit = await f.exited;
    expect(exit.code).toBe(1);
    expect(f.events.some((e) => e.event === 'hook' && e.name === 'report')).toBe(true);
    expect(f.stderr()).toMatch(/shutdown hook "failing" failed/);
  });

  it.each([['https'], ['http2']] as const)('%s: SIGTERM flips readiness, keeps serving, exits 0', async (kind) => {
    const f = await start(fixture, { KIND: kind, ...tlsEnv(), DRAINGATE_MIN_DELAY: '500ms', DRAINGATE_MAX_DELAY: '800ms' });
    const protocol: Protocol = kind === 'https' ? 'https' : 'h2';
    const c = connect(protocol, f.port);
    expect((await c.request('/readyz')).status).toBe(200);
    const killedAt = Date.now();
    f.child.kill('SIGTERM');
    expect((await untilNotReady(c, protocol, f.port)) - killedAt).toBeLessThan(500);
    const during = await fetchOnce(protocol, f.port, '/');
    expect(during.status).toBe(200);
    expect(during.connectionClose).toBe(true);
    expect((await f.exited).code).toBe(0);
    c.close();
  });
});

describe('invalid configuration fails at start-up with a clear message', () => {
  it.each([
    [{ DRAINGATE_MAX_DELAY: '20' }, /DRAINGATE_MAX_DELAY has the invalid duration "20" \(a bare number has no unit\)/],
    [{ DRAINGATE_GRACE_PERIOD: '10s', DRAINGATE_MAX_DELAY: '5s' }, /shutdown budget does not fit the grace period/],
    // The default maxDelay is what the grace period leaves: 10 s leaves none.
    [{ DRAINGATE_GRACE_PERIOD: '10s' }, /raise DRAINGATE_GRACE_PERIOD with the pod's terminationGracePeriodSeconds/],
    [
      { DRAINGATE_MANGEMENT_PORT: '9000' },
      /unknown environment variable DRAINGATE_MANGEMENT_PORT\. Did you mean DRAINGATE_MANAGEMENT_PORT\?/,
    ],
  ])('%j', async (env, message) => {
    const { code, stderr } = await runToExit(example, { PORT: '0', ...env });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(message);
  });
});
