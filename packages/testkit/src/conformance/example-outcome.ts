import { expect } from 'vitest';
import { connect, fetchOnce, type Resp, sleep } from '../http/client.js';
import { type Forked, fork } from '../http/fork.js';
import { ACCEPTANCE_ENV, untilNotReady } from './acceptance.js';

/** What clients and stdout saw of an example run through SIGTERM: equal for every example (and node-http's). */
export interface ExampleOutcome {
  routes: { root: { status: number; keys: string[] }; missing: { status: number; body: unknown } };
  lines: { listening: string[]; state: string[] };
  states: string[];
  eventKinds: string[];
  drainingStatuses: number[];
  drainingAllClose: boolean;
  inflight: { status: number; body: unknown };
  exitCode: number | null;
}

// The acceptance settings, with the example's own default host.
const { HOST: _host, ...EXAMPLE_ENV } = ACCEPTANCE_ENV;

/**
 * The acceptance scenario (core's signals test) on an example, asserting its bounds; returns what clients and stdout
 * saw, when the in-flight `/work?ms=1500` answered (epoch ms), and the forked process (`onFork` gets it first, to
 * kill it if the test fails). `env` adds to the acceptance settings; `startTimeoutMs`: how long it may take to listen.
 */
export async function exampleOutcome(
  script: string,
  o: { env?: Record<string, string>; startTimeoutMs?: number; onFork?: (f: Forked) => void } = {},
): Promise<ExampleOutcome & { inflightAt: number; f: Forked }> {
  const f = await fork(script, { ...EXAMPLE_ENV, ...o.env }, o.startTimeoutMs);
  o.onFork?.(f);
  const probe = connect('http1', f.port);
  expect((await probe.request('/readyz')).status).toBe(200);
  const root = await fetchOnce('http1', f.port, '/');
  const missing = await fetchOnce('http1', f.port, '/nope');
  let inflightAt = 0;
  const inflight = connect('http1', f.port)
    .request('/work?ms=1500')
    .then((r) => {
      inflightAt = Date.now();
      return r;
    })
    .catch((e: Error) => e);
  await sleep(50);

  const killedAt = Date.now();
  f.child.kill('SIGTERM');
  const flipMs = (await untilNotReady(probe, 'http1', f.port)) - killedAt;

  // As the LB would: one fresh connection every 100 ms until the process has exited (bounded).
  const seen: { at: number; r: Resp | Error }[] = [];
  for (let i = 0; i < 100 && f.child.exitCode === null; i++) {
    const at = Date.now();
    seen.push({ at, r: await fetchOnce('http1', f.port, '/').catch((e: Error) => e) });
    await sleep(100);
  }
  const exit = await f.exited;
  const stoppingAt = f.stateAt('stopping')!;
  expect(stoppingAt).toBeDefined();
  const whileDraining = seen.filter((s) => s.at < stoppingAt - 50);
  expect(whileDraining.length).toBeGreaterThanOrEqual(15);
  for (const s of whileDraining) expect(s.r).not.toBeInstanceOf(Error);
  const slow = (await inflight) as Resp;
  expect(slow).not.toBeInstanceOf(Error);
  const exitMs = exit.at - killedAt;
  expect(exitMs).toBeGreaterThanOrEqual(2900); // no evidence here: maxDelay (3 s) ends draining
  expect(exitMs).toBeLessThan(5000); // maxDelay + 2 s
  expect(flipMs).toBeLessThan(500);
  probe.close();

  const listening = f.events.find((e) => e.event === 'listening')!;
  const state = f.events.find((e) => e.event === 'state')!;
  return {
    routes: {
      root: { status: root.status, keys: Object.keys(JSON.parse(root.body)).sort() },
      missing: { status: missing.status, body: JSON.parse(missing.body) },
    },
    lines: { listening: Object.keys(listening).sort(), state: Object.keys(state).sort() },
    states: f.events.filter((e) => e.event === 'state').map((e) => `${e.from}->${e.to}`),
    eventKinds: f.events.map((e) => String(e.event)),
    drainingStatuses: [...new Set(whileDraining.map((s) => (s.r as Resp).status))],
    drainingAllClose: whileDraining.every((s) => (s.r as Resp).connectionClose),
    inflight: { status: slow.status, body: JSON.parse(slow.body) },
    exitCode: exit.code,
    inflightAt,
    f,
  };
}
