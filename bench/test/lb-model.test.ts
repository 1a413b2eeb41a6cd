/**
 * The multi-node load-balancer model asserted on what a real app behind it sees (real HAProxy, real sockets):
 * each LB node has its own source address, health-checks on its own, applies a deregistration after its own delay
 * (one node goes on routing after another stopped, while the API already says `draining`), and fails open; and
 * on the ALB model a naive adapter and a fixed 5 s preStop sleep lose requests, so the harness can see failures.
 * Timings are shortened where the assertion is about the mechanism (health checks every 0.3–0.5 s); the
 * scenario runs use the ALB model as it is.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findAdapters } from '../rollout/adapters/index.mjs';
import { assertHaproxy } from '../rollout/haproxy.mjs';
import { startLb } from '../rollout/lb.mjs';
import { lbModel } from '../rollout/lb-models.mjs';
import { HEALTH_CHECK_USER_AGENT } from '../rollout/lb-nodes.mjs';
import { startLoad } from '../rollout/load.mjs';
import { killActiveRuns, runScenario } from '../rollout/scenarios.mjs';

interface Seen {
  at: number;
  peer: string;
  path: string;
  ua: string;
  xff: string | undefined;
}

interface App {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await assertHaproxy();
});

afterEach(async () => {
  killActiveRuns();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A target that records every request's peer address and headers; `/health` answers `healthStatus`. */
async function app(healthStatus = 200): Promise<App> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({
      at: Date.now(),
      peer: req.socket.remoteAddress ?? '',
      path: req.url ?? '',
      ua: req.headers['user-agent'] ?? '',
      xff: req.headers['x-forwarded-for'] as string | undefined,
    });
    res.writeHead(req.url === '/health' ? healthStatus : 200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a: App = {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  cleanups.push(a.close);
  return a;
}

// biome-ignore lint/suspicious/noExplicitAny: the LB is JavaScript (bench/rollout)
async function lb(overrides: Record<string, any>, seed = 7): Promise<any> {
  const l = await startLb({ model: lbModel('alb', overrides), checkPath: '/health', seed });
  cleanups.push(() => l.stop());
  return l;
}

const target = (name: string, a: App) => ({ name, port: a.port, checkPort: a.port, exitedAt: null as number | null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NODES = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];

describe('multi-node LB model (ALB)', () => {
  it('each node connects and health-checks from its own address; X-Forwarded-For stays the client', { timeout: 30_000 }, async () => {
    const a = await app();
    const l = await lb({ healthCheck: { interval: 500, timeout: 400 } });
    await l.register(target('t1', a), { initial: true });
    const load = startLoad({ entryPoints: l.entryPoints, rate: 150, connections: 12, seed: 3 });
    await sleep(2500);
    const records = await load.stop();
    expect(records.filter((r: { outcome: string }) => r.outcome !== 'ok')).toEqual([]);

    const proxied = a.seen.filter((s) => s.path !== '/health');
    const checks = a.seen.filter((s) => s.path === '/health');
    expect(new Set(proxied.map((s) => s.peer))).toEqual(new Set(NODES));
    expect(new Set(proxied.map((s) => s.xff))).toEqual(new Set(['127.0.0.1']));
    expect(new Set(checks.map((s) => s.peer))).toEqual(new Set(NODES));
    for (const c of checks) {
      expect(c.ua).toBe(HEALTH_CHECK_USER_AGENT);
      expect(c.xff).toBeUndefined();
    }
    // Clients spread over the nodes by their shares (50/30/20).
    const share = (peer: string) => proxied.filter((s) => s.peer === peer).length / proxied.length;
    expect(share('127.0.0.11')).toBeGreaterThan(0.4);
    expect(share('127.0.0.11')).toBeLessThan(0.6);
    expect(share('127.0.0.13')).toBeGreaterThan(0.1);
    expect(share('127.0.0.13')).toBeLessThan(0.3);
  });

  it('the API shows draining at once; each node stops routing after its own delay, one long after another', {
    timeout: 30_000,
  }, async () => {
    const a = await app();
    const b = await app();
    const l = await lb({ propagation: { deregister: [500, 4500] }, healthCheck: { interval: 60_000, timeout: 5000 } });
    const ta = target('ta', a);
    await l.register(ta, { initial: true });
    await l.register(target('tb', b), { initial: true });
    const load = startLoad({ entryPoints: l.entryPoints, rate: 200, connections: 16, seed: 5 });
    await sleep(1500);
    const deregisteredAt = Date.now();
    await l.deregister(ta);
    expect(l.targetGroup.state(ta)).toBe('draining');
    const api = l.targetGroup.describeTargetHealth().find((d: { Target: { Port: number } }) => d.Target.Port === a.port);
    expect(api.TargetHealth).toMatchObject({ State: 'draining', Reason: 'Target.DeregistrationInProgress' });
    await sleep(5500);
    const records = await load.stop();
    expect(records.filter((r: { outcome: string }) => r.outcome !== 'ok')).toEqual([]);

    // What the app saw: the last request from each node's address.
    const last = NODES.map((peer) => Math.max(...a.seen.filter((s) => s.peer === peer && s.path !== '/health').map((s) => s.at)));
    const routing = l.routing(ta);
    for (const [i, n] of routing.nodes.entries()) {
      expect(n.stopReason).toBe('deregistered');
      expect(n.deregisteredAt).toBeGreaterThanOrEqual(deregisteredAt + 500);
      // No request from that node once HAProxy applied its deregistration (a request already on its way may
      // arrive a little later on a loaded machine).
      expect(last[i]).toBeLessThan(n.stoppedAt + 200);
      // And it kept routing until shortly before it did (traffic every few ms per node at this rate).
      expect(last[i]).toBeGreaterThan(n.stoppedAt - 500);
    }
    // One node went on routing well after another had stopped, all of it while the API said `draining`.
    expect(Math.max(...last) - Math.min(...last)).toBeGreaterThan(1000);
    expect(Math.max(...last)).toBeGreaterThan(deregisteredAt + 1500);
    expect(routing.lastStoppedAt).toBe(Math.max(...routing.nodes.map((n: { stoppedAt: number }) => n.stoppedAt)));
  });

  it('a node routes only to targets it found healthy; one new target needs one passing check', { timeout: 30_000 }, async () => {
    const good = await app(200);
    const bad = await app(503);
    const l = await lb({ propagation: { register: [0, 0] }, healthCheck: { interval: 300, timeout: 250 } });
    const tg = target('good', good);
    const tb = target('bad', bad);
    await l.register(tg);
    await l.register(tb);
    expect(l.targetGroup.state(tg)).toBe('initial');
    await sleep(1500); // every node has checked each target several times
    expect(l.targetGroup.state(tg)).toBe('healthy');
    expect(l.targetGroup.state(tb)).toBe('unhealthy');
    const load = startLoad({ entryPoints: l.entryPoints, rate: 150, connections: 12, seed: 9 });
    await sleep(1000);
    const records = await load.stop();
    expect(records.filter((r: { outcome: string }) => r.outcome !== 'ok')).toEqual([]);
    expect(good.seen.filter((s) => s.path !== '/health').length).toBeGreaterThan(100);
    expect(bad.seen.filter((s) => s.path !== '/health')).toEqual([]);
    for (const n of l.routing(tg).nodes) expect(n.routing).toBe(true);
  });

  it('fails open: when every registered target fails its checks, each node routes to all of them', { timeout: 30_000 }, async () => {
    const run = async (failOpen: boolean) => {
      const a = await app(503);
      const b = await app(503);
      const l = await lb({ failOpen, propagation: { register: [0, 0] }, healthCheck: { interval: 300, timeout: 250 } });
      const ta = target('a', a);
      const tb = target('b', b);
      await l.register(ta);
      await l.register(tb);
      await sleep(1500);
      expect(l.targetGroup.state(ta)).toBe('unhealthy');
      expect(l.targetGroup.state(tb)).toBe('unhealthy');
      const load = startLoad({ entryPoints: l.entryPoints, rate: 150, connections: 12, seed: 11 });
      await sleep(1000);
      const records = await load.stop();
      return { l, a, b, records };
    };
    const open = await run(true);
    expect(open.records.filter((r: { outcome: string }) => r.outcome !== 'ok')).toEqual([]);
    expect(open.a.seen.filter((s) => s.path !== '/health').length).toBeGreaterThan(30);
    expect(open.b.seen.filter((s) => s.path !== '/health').length).toBeGreaterThan(30);
    const periods = open.l.failOpenPeriods();
    expect(periods.map((p: { periods: unknown[] }) => p.periods.length > 0)).toEqual([true, true, true]);

    // The same targets without fail-open: HAProxy has no server for the requests (503). Fail-open made the difference.
    const closed = await run(false);
    expect(closed.records.length).toBeGreaterThan(100);
    expect(closed.records.every((r: { outcome: string }) => r.outcome === 'HTTP 503')).toBe(true);
    expect(closed.a.seen.filter((s) => s.path !== '/health')).toEqual([]);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: scenario results are JavaScript objects
function explain(r: any): string {
  const pods = r.pods.map(({ output, ...p }: { output: string }) => ({ ...p, output: output.slice(-1500) }));
  return JSON.stringify({ seed: r.seed, failures: r.failures, requests: r.requests, events: r.events, pods }, null, 2);
}

describe('the ALB model sees failures', () => {
  it('express without shutdown handling loses requests in a scale-in at lag 2 s', { timeout: 90_000 }, async () => {
    const [adapter] = findAdapters(['express-bare']);
    const r = await runScenario({ adapter, scenario: 'scale-in', lag: 2000, rate: 150, minRequests: 0, tail: 2000, seed: 42 });
    expect(r.lbModel).toBe('alb');
    expect(r.failed, explain(r)).toBeGreaterThan(50);
    // The app exited at once, and the LB let go only after its nodes applied the deregistration.
    for (const p of r.pods) expect(p.exitMinusLastStop, explain(r)).toBeLessThan(-3000);
  });

  it('a fixed 5 s preStop sleep loses requests at lag 2 s: the nodes take longer than 5 s to let go', { timeout: 90_000 }, async () => {
    const [adapter] = findAdapters(['prestop-sleep-5s']);
    const r = await runScenario({
      adapter,
      scenario: 'scale-in',
      lag: 2000,
      rate: 150,
      minRequests: 0,
      tail: 2000,
      seed: 42,
      exitWait: 20_000, // server.close() then waits for HAProxy's idle connections until SIGKILL: not the point here
    });
    expect(r.failed, explain(r)).toBeGreaterThan(10);
    expect(r.maxLastStop, explain(r)).toBeGreaterThan(5000 + 2000);
  });
});
