import { expect } from 'vitest';
import { connect, fetchOnce, type Resp, sleep } from '../http/client.js';
import { type Forked, fork } from '../http/fork.js';
import { ACCEPTANCE_ENV, observeSigterm } from './acceptance.js';

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

  const { exit, whileDraining } = await observeSigterm(f, probe);
  const slow = (await inflight) as Resp;
  expect(slow).not.toBeInstanceOf(Error);
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
