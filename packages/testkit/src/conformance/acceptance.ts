import { expect } from 'vitest';
import { type Conn, connect, fetchOnce, type Protocol, type Resp, sleep } from '../http/client.js';
import { type Forked, fork } from '../http/fork.js';

/** Issue 2's acceptance settings: no LB in front, so draining ends at maxDelay (3 s). */
export const ACCEPTANCE_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  DRAINGATE_MIN_DELAY: '1s',
  DRAINGATE_MAX_DELAY: '3s',
  DRAINGATE_DRAIN_TIMEOUT: '5s',
  DRAINGATE_GRACE_PERIOD: '15s',
};

/**
 * A signal reaches the process asynchronously; from the moment it is handled, /readyz must answer 503 and
 * never 200 again. Polls every 5 ms (bounded) and returns the epoch ms of the first 503.
 */
export async function untilNotReady(c: Conn, protocol: Protocol, port: number): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const r = await c.request('/readyz');
    if (r.status === 503) {
      const at = Date.now();
      // The 503 closed that connection (Connection: close / GOAWAY): check again on fresh ones.
      for (let j = 0; j < 5; j++) expect((await fetchOnce(protocol, port, '/readyz')).status).toBe(503);
      return at;
    }
    expect(r.status).toBe(200);
    await sleep(5);
  }
  throw new Error('/readyz never turned 503');
}

/** What a client saw of a forked example from SIGTERM on (the requests sent while it drained), and its exit. */
export interface SigtermObserved {
  exit: { code: number | null; at: number };
  whileDraining: { at: number; r: Resp | Error }[];
}

/**
 * Sends SIGTERM to `f` (listening, with a request in flight) and watches it as the LB would, with the acceptance
 * settings' bounds: `/readyz` (on `probe`) turns 503 within 500 ms, one fresh connection every 100 ms until the
 * process has exited (bounded) gets an answer while draining (at least 15 of them), and the exit comes at maxDelay
 * (3 s: no evidence here) + at most 2 s.
 */
export async function observeSigterm(f: Forked, probe: Conn): Promise<SigtermObserved> {
  const killedAt = Date.now();
  f.child.kill('SIGTERM');
  const flipMs = (await untilNotReady(probe, 'http1', f.port)) - killedAt;
  const seen: { at: number; r: Resp | Error }[] = [];
  for (let i = 0; i < 100 && f.child.exitCode === null; i++) {
    const at = Date.now();
    seen.push({ at, r: await fetchOnce('http1', f.port, '/').catch((e: Error) => e) });
    await sleep(100);
  }
  const exit = await f.exited;
  const stoppingAt = f.stateAt('stopping');
  expect(stoppingAt).toBeDefined();
  const whileDraining = seen.filter((s) => s.at < (stoppingAt as number) - 50);
  expect(whileDraining.length).toBeGreaterThanOrEqual(15);
  for (const s of whileDraining) expect(s.r).not.toBeInstanceOf(Error);
  const exitMs = exit.at - killedAt;
  expect(exitMs).toBeGreaterThanOrEqual(2900); // no evidence here: maxDelay (3 s) ends draining
  expect(exitMs).toBeLessThan(5000); // maxDelay + 2 s
  expect(flipMs).toBeLessThan(500);
  return { exit, whileDraining };
}

/**
 * Runs an example (`PORT`, `GET /`, `GET /work?ms=N`, JSON `state` lines on stdout) through SIGTERM with the
 * acceptance settings and asserts what issue 2 asks: /readyz 503 at once, requests keep getting 200 with
 * Connection: close until draining ends, an in-flight /work?ms=1500 completes, exit 0 within maxDelay + 2 s.
 * Returns the forked process for further checks. `startTimeoutMs`: how long the process may take to listen (a
 * Next.js app reads far more from disk at start than a plain Node service).
 */
export async function expectAcceptance(script: string, onStart?: (f: Forked) => void, startTimeoutMs = 10_000): Promise<Forked> {
  const f = await fork(script, { ...ACCEPTANCE_ENV }, startTimeoutMs);
  onStart?.(f);
  const probe = connect('http1', f.port);
  try {
    expect((await probe.request('/readyz')).status).toBe(200);
    const inflight = connect('http1', f.port)
      .request('/work?ms=1500')
      .catch((e: Error) => e);
    await sleep(50);

    const { exit, whileDraining } = await observeSigterm(f, probe);
    for (const s of whileDraining) {
      expect((s.r as Resp).status).toBe(200);
      expect((s.r as Resp).connectionClose).toBe(true);
    }
    const slow = (await inflight) as Resp;
    expect(slow.status).toBe(200);
    expect(JSON.parse(slow.body)).toEqual({ worked: 1500 });
    expect(exit.code).toBe(0);
    return f;
  } finally {
    probe.close();
  }
}
