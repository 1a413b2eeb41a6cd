/**
 * examples/express/server.mjs under SIGTERM behaves like examples/node-http/server.mjs: the acceptance scenario
 * of core's signals test, run against both, with the same bounds and the same observable outcome.
 */
import { fileURLToPath } from 'node:url';
import { type Conn, connect, type Forked, fetchOnce, fork, type Resp, runToExit, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';

const examples = {
  express: fileURLToPath(new URL('../../../examples/express/server.mjs', import.meta.url)),
  'node-http': fileURLToPath(new URL('../../../examples/node-http/server.mjs', import.meta.url)),
};
const ENV = {
  PORT: '0',
  DRAINGATE_MIN_DELAY: '1s',
  DRAINGATE_MAX_DELAY: '3s',
  DRAINGATE_DRAIN_TIMEOUT: '5s',
  DRAINGATE_GRACE_PERIOD: '15s',
};
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

/** Polls /readyz every 5 ms (bounded) until 503; returns the epoch ms of the first 503. Never a 200 after it. */
async function untilNotReady(c: Conn, port: number): Promise<number> {
  for (let i = 0; i < 400; i++) {
    const r = await c.request('/readyz');
    if (r.status === 503) {
      const at = Date.now();
      for (let j = 0; j < 5; j++) expect((await fetchOnce('http1', port, '/readyz')).status).toBe(503);
      return at;
    }
    expect(r.status).toBe(200);
    await sleep(5);
  }
  throw new Error('/readyz never turned 503');
}

interface Outcome {
  routes: { root: { status: number; keys: string[] }; missing: { status: number; body: unknown } };
  lines: { listening: string[]; state: string[] };
  states: string[];
  eventKinds: string[];
  drainingStatuses: number[];
  drainingAllClose: boolean;
  inflight: { status: number; body: unknown };
  exitCode: number | null;
}

/** The acceptance scenario (core's signals.test.ts), asserting its bounds; returns what clients and stdout saw. */
async function scenario(script: string): Promise<Outcome> {
  const f = await fork(script, ENV);
  children.push(f);
  const probe = connect('http1', f.port);
  expect((await probe.request('/readyz')).status).toBe(200);
  const root = await fetchOnce('http1', f.port, '/');
  const missing = await fetchOnce('http1', f.port, '/nope');
  const inflight = connect('http1', f.port)
    .request('/work?ms=1500')
    .catch((e: Error) => e);
  await sleep(50);

  const killedAt = Date.now();
  f.child.kill('SIGTERM');
  const flipMs = (await untilNotReady(probe, f.port)) - killedAt;

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
  };
}

describe('examples/express under SIGTERM (the acceptance scenario)', () => {
  it('503 at once, 200 + Connection: close until draining ends, in-flight completes, exit 0 within maxDelay + 2s: like examples/node-http', async () => {
    const express = await scenario(examples.express);
    expect(express).toEqual({
      routes: { root: { status: 200, keys: ['hello', 'pid'] }, missing: { status: 404, body: { error: 'not found' } } },
      lines: { listening: ['event', 'pid', 'port'], state: ['at', 'event', 'from', 'reason', 'to'] },
      states: ['starting->ready', 'ready->draining', 'draining->stopping', 'stopping->stopped'],
      eventKinds: ['listening', 'state', 'state', 'state', 'hooks', 'state'],
      drainingStatuses: [200],
      drainingAllClose: true,
      inflight: { status: 200, body: { worked: 1500 } },
      exitCode: 0,
    });
    expect(await scenario(examples['node-http'])).toEqual(express);
  });

  it('fails at start-up on invalid configuration, with the same message as examples/node-http', async () => {
    const env = { PORT: '0', DRAINGATE_MAX_DELAY: '20' };
    const express = await runToExit(examples.express, env);
    const node = await runToExit(examples['node-http'], env);
    const message = /DRAINGATE_MAX_DELAY has the invalid duration "20" \(a bare number has no unit\)/;
    expect(express.code).not.toBe(0);
    expect(express.code).toBe(node.code);
    expect(express.stderr).toMatch(message);
    expect(node.stderr).toMatch(message);
  });
});
