/**
 * Evidence `lb-health-checks-stopped` (DESIGN §3): an LB stops health-checking a target it has deregistered
 * (ALB/NLB `draining`, HAProxy `maint`), often before its `unhealthyThreshold`-th failing check. A source that
 * checked at a regular interval and then fell silent during draining ends draining — on real sockets, with a
 * health-check client that speaks like an ALB node (fresh connection, `User-Agent: ELB-HealthChecker/2.0`).
 */
import http from 'node:http';
import type { Started } from '@draingate/testkit/conformance';
import { connect, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import type { GateOptions } from '../src/index.js';
import { evaluateEvidence } from '../src/internal/evidence.js';
import { LbHealthChecks } from '../src/internal/lb-health-checks.js';
import { nodesVerdict } from '../src/internal/lb-nodes.js';
import { EVIDENCE_BASE, legacySidecar, nodesStopped } from './helpers/evidence.js';
import { nodeHttp } from './helpers/servers.js';

let started: Started | null = null;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  await started?.cleanup();
  started = null;
});

async function start(options: GateOptions): Promise<Started> {
  started = await nodeHttp.start(options);
  return started;
}

/** One health check as an ALB node sends it: its own connection, closed after the answer. */
function check(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, agent: false, headers: { host, 'user-agent': 'ELB-HealthChecker/2.0', connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * An LB health-check source (one node, one target group): checks every `intervalMs` until stopped, like a
 * target group's HealthCheckIntervalSeconds. Bounded to `maxChecks` and 20 s.
 */
function healthChecker(port: number, intervalMs: number, { host = 'target.internal', path = '/readyz', maxChecks = 60 } = {}) {
  const statuses: number[] = [];
  const t0 = Date.now();
  let timer: NodeJS.Timeout | null = null;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  const tick = () => {
    if (statuses.length >= maxChecks || Date.now() - t0 > 20_000) return stop();
    void check(port, host, path).then((s) => statuses.push(s));
  };
  tick();
  timer = setInterval(tick, intervalMs);
  closers.push(stop);
  return {
    statuses,
    stop,
    /** Waits until `n` checks have been answered (bounded). */
    async answered(n: number, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (statuses.length < n && Date.now() < until) await sleep(20);
      expect(statuses.length, `${n} health checks answered`).toBeGreaterThanOrEqual(n);
    },
  };
}

const INTERVAL = 300;
/** Silence needed: 2 intervals, plus the LB margin. */
const MARGIN = '200ms';

describe('LB health checks that stop (real sockets)', () => {
  it('ends draining once a regular source stops checking, well before maxDelay', async () => {
    const { gate, port } = await start({ minDelay: '200ms', maxDelay: '10s', lbHealthCheck: { unhealthyThreshold: 2, margin: MARGIN } });
    const lb = healthChecker(port, INTERVAL);
    await lb.answered(5); // 4 gaps of history before draining
    expect(lb.statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const done = gate.shutdown();
    lb.stop(); // deregistered at once: the LB never sends its 2nd failing check
    const stoppedAt = Date.now();
    const result = await done;
    expect(result.evidence).toMatchObject({ kind: 'lb-health-checks-stopped', strength: 'weak' });
    expect(result.evidence!.detail).toMatch(/1 health-check source\(s\) that checked at a regular interval stopped checking/);
    // 2 × 300 ms of silence + 200 ms margin ≈ 0.8 s; generous upper bound, far below maxDelay (10 s).
    const endedAt = Date.parse(gate.status().drain!.endedAt!);
    expect(endedAt - stoppedAt).toBeGreaterThanOrEqual(2 * INTERVAL);
    expect(result.evidence!.afterMs).toBeLessThan(5000);
    const sources = (gate.status().lbHealthChecks as { sources: Record<string, { regular: boolean; intervalMs: number }> }).sources;
    const source = Object.values(sources)[0]!;
    expect(source.regular).toBe(true);
    expect(source.intervalMs).toBeGreaterThanOrEqual(INTERVAL * 0.67);
    expect(source.intervalMs).toBeLessThanOrEqual(INTERVAL * 1.5);
  });

  it('behind an NLB (lbType nlb) the same stopped source proves nothing: draining lasts maxDelay', async () => {
    const { gate, port } = await start({
      minDelay: '200ms',
      maxDelay: '2s',
      lbType: 'nlb',
      lbHealthCheck: { unhealthyThreshold: 2, margin: MARGIN },
    });
    const lb = healthChecker(port, INTERVAL);
    await lb.answered(5);
    const done = gate.shutdown();
    lb.stop();
    const result = await done;
    expect(result.evidence?.kind).toBe('max-delay');
    expect(result.evidence!.afterMs).toBeGreaterThanOrEqual(1990);
    expect(gate.status().plan).toMatchObject({ lbType: 'nlb' });
  });

  it('counts the silence from the last application request: a request after the checks stopped shows the LB still routes', async () => {
    const { gate, port } = await start({ minDelay: '200ms', maxDelay: '10s', lbHealthCheck: { unhealthyThreshold: 2, margin: MARGIN } });
    const lb = healthChecker(port, INTERVAL);
    await lb.answered(5);
    const app = connect('http1', port);
    closers.push(() => app.close());
    const done = gate.shutdown();
    lb.stop();
    // Low-rate traffic (far too little for a quiet period) keeps arriving for 1.5 s after the checks stopped.
    let lastRequest = Date.now();
    const trafficUntil = Date.now() + 1500;
    let c = app;
    while (Date.now() < trafficUntil) {
      if (c.closed) c = connect('http1', port); // draining answers Connection: close
      closers.push(() => c.close());
      expect((await c.request('/')).status).toBe(200);
      lastRequest = Date.now();
      expect(gate.state).toBe('draining');
      await sleep(150);
    }
    const result = await done;
    expect(result.evidence?.kind).toBe('lb-health-checks-stopped');
    const endedAt = Date.parse(gate.status().drain!.endedAt!);
    expect(endedAt - lastRequest).toBeGreaterThanOrEqual(2 * INTERVAL - 50);
    expect(result.evidence!.afterMs).toBeGreaterThanOrEqual(1500);
    expect(result.evidence!.afterMs).toBeLessThan(7000);
  });

  it('never takes a source that keeps checking for silent, even when another source stopped', async () => {
    // unhealthyThreshold 10: the failing checks alone cannot end draining within maxDelay.
    const { gate, port } = await start({
      minDelay: '200ms',
      maxDelay: '2500ms',
      lbHealthCheck: { unhealthyThreshold: 10, margin: MARGIN },
    });
    const stops = healthChecker(port, INTERVAL, { host: 'tg-a.internal' });
    const keeps = healthChecker(port, INTERVAL, { host: 'tg-b.internal' });
    await Promise.all([stops.answered(5), keeps.answered(5)]);
    const before = keeps.statuses.length;
    const done = gate.shutdown();
    stops.stop();
    const result = await done;
    keeps.stop();
    expect(result.evidence?.kind).toBe('max-delay');
    // The second source kept checking through draining and was answered 503.
    expect(keeps.statuses.slice(before)).toContain(503);
    expect(keeps.statuses.length - before).toBeGreaterThanOrEqual(4);
  });

  it('does not trust a source with too little history (2 checks before draining)', async () => {
    const { gate, port } = await start({ minDelay: '200ms', maxDelay: '2500ms', lbHealthCheck: { unhealthyThreshold: 2, margin: MARGIN } });
    const lb = healthChecker(port, INTERVAL, { maxChecks: 2 });
    await lb.answered(2);
    const result = await gate.shutdown();
    expect(result.evidence?.kind).toBe('max-delay');
    const source = Object.values(
      (gate.status().lbHealthChecks as { sources: Record<string, { checksBeforeDraining: number }> }).sources,
    )[0];
    expect(source?.checksBeforeDraining).toBe(2);
  });

  it('does not trust a source that checked at irregular gaps', async () => {
    const { gate, port } = await start({ minDelay: '200ms', maxDelay: '2500ms', lbHealthCheck: { unhealthyThreshold: 2, margin: MARGIN } });
    for (const gap of [100, 700, 150, 600]) {
      expect(await check(port, 'target.internal', '/readyz')).toBe(200);
      await sleep(gap);
    }
    expect(await check(port, 'target.internal', '/readyz')).toBe(200);
    const result = await gate.shutdown();
    expect(result.evidence?.kind).toBe('max-delay');
    const source = Object.values((gate.status().lbHealthChecks as { sources: Record<string, { regular: boolean }> }).sources)[0];
    expect(source?.regular).toBe(false);
  });

  it('does not count a source that had already stopped before draining began', async () => {
    const { gate, port } = await start({ minDelay: '200ms', maxDelay: '2500ms', lbHealthCheck: { unhealthyThreshold: 2, margin: MARGIN } });
    const lb = healthChecker(port, INTERVAL);
    await lb.answered(5);
    lb.stop();
    await sleep(3 * INTERVAL); // off schedule before draining: an LB node that went away, not this drain
    const result = await gate.shutdown();
    expect(result.evidence?.kind).toBe('max-delay');
  });
});

describe('LbHealthChecks.verdict', () => {
  const regular = (lb: LbHealthChecks, source: string, from: number, to: number, every: number) => {
    for (let t = from; t <= to; t += every) lb.record(source, true, t, false);
  };

  it('a regular source silent for 2 intervals since draining began is out, from that moment', () => {
    const lb = new LbHealthChecks(2);
    regular(lb, 'a', 0, 4000, 1000); // last check at 4000, draining at 4500
    expect(lb.verdict(6400, 4500, -1)).toBeNull(); // 1.9 s of silence since draining: still on schedule
    expect(lb.verdict(6500, 4500, -1)).toEqual({ since: 6500, detail: expect.stringMatching(/stopped checking/), stoppedSources: 1 });
    // Without silence (the old rule), one silent source is no evidence.
    expect(lb.unhealthy(6500)).toBeNull();
  });

  it('a check during draining moves the start of the silence; an application request does too', () => {
    const lb = new LbHealthChecks(2);
    regular(lb, 'a', 0, 4000, 1000);
    lb.record('a', false, 5000, true);
    expect(lb.verdict(6900, 4500, -1)).toBeNull();
    expect(lb.verdict(7000, 4500, -1)?.since).toBe(7000);
    expect(lb.verdict(7000, 4500, 6000)).toBeNull();
    expect(lb.verdict(8000, 4500, 6000)?.since).toBe(8000);
  });

  it('combines sources that failed with sources that stopped; any source still on schedule blocks', () => {
    const lb = new LbHealthChecks(2);
    regular(lb, 'a', 0, 4000, 1000);
    regular(lb, 'b', 0, 4000, 1000);
    lb.record('b', false, 5000, true);
    lb.record('b', false, 6000, true); // b: threshold at 6000
    expect(lb.verdict(6000, 4500, -1)).toBeNull(); // a: silent 1.5 s only
    expect(lb.verdict(6500, 4500, -1)).toMatchObject({
      since: 6500,
      stoppedSources: 1,
      detail: expect.stringMatching(/1 .*failing.*; 1 .*stopped/),
    });
    // b keeps checking (failing) and never reaches a silence: it is out by its failures alone.
    const both = new LbHealthChecks(2);
    regular(both, 'a', 0, 4000, 1000);
    both.record('a', false, 5000, true);
    both.record('a', false, 6000, true);
    expect(both.verdict(6000, 4500, -1)).toMatchObject({ since: 6000, stoppedSources: 0 });
  });

  it('needs 3 regular checks before draining', () => {
    const few = new LbHealthChecks(2);
    few.record('a', true, 0, false);
    few.record('a', true, 1000, false);
    expect(few.verdict(9000, 1500, -1)).toBeNull();
    const irregular = new LbHealthChecks(2);
    for (const t of [0, 200, 2000, 2300, 4000]) irregular.record('a', true, t, false);
    expect(irregular.verdict(12_000, 4500, -1)).toBeNull();
    // Three regular checks are enough.
    const enough = new LbHealthChecks(2);
    regular(enough, 'a', 0, 2000, 1000);
    expect(enough.verdict(4500, 2500, -1)?.stoppedSources).toBe(1);
  });

  it('ignores a source that was already off schedule when draining began', () => {
    const lb = new LbHealthChecks(2);
    regular(lb, 'gone', 0, 4000, 1000);
    expect(lb.verdict(20_000, 6000, -1)).toBeNull(); // 2 s overdue at draining: says nothing about this drain
    regular(lb, 'live', 0, 6000, 1000);
    lb.record('live', false, 7000, true);
    lb.record('live', false, 8000, true);
    expect(lb.verdict(20_000, 6500, -1)).toMatchObject({ since: 8000, stoppedSources: 0 });
  });
});

describe('evaluateEvidence with LB health checks that stopped', () => {
  const base = EVIDENCE_BASE;

  it('reports lb-health-checks-stopped (weak), and ranks it below the sidecar and failing checks, above a quiet period', () => {
    const stopped = nodesStopped(3500, 'lb-health-checks-stopped');
    expect(evaluateEvidence({ ...base, now: 3499, nodes: stopped })).toBeNull();
    expect(evaluateEvidence({ ...base, now: 3500, nodes: stopped })).toMatchObject({
      kind: 'lb-health-checks-stopped',
      strength: 'weak',
    });
    expect(evaluateEvidence({ ...base, now: 3500, nodes: nodesStopped(3500, 'lb-health-checks') })?.kind).toBe('lb-health-checks');
    expect(evaluateEvidence({ ...base, now: 3500, nodes: stopped, sidecar: legacySidecar(true) })?.kind).toBe('sidecar');
    expect(evaluateEvidence({ ...base, now: 999, nodes: nodesStopped(0, 'lb-health-checks-stopped') })).toBeNull(); // minDelay
  });

  it('a node whose checks stopped and whose traffic went quiet counts by the stronger of the two, the earlier', () => {
    const lb = new LbHealthChecks(2);
    for (let t = 8000; t < 10_000; t += 500) lb.record('10.0.0.1 a /', true, t, false);
    // Draining at 10 s. Checks stop: 2 × 500 ms later, + 500 ms margin: 11.5 s; the traffic's quiet period (2 s) ends later.
    const peer = {
      address: '10.0.0.1',
      counts: new Array<number>(30).fill(100),
      before: { rate: 100, steadiness: 1, spanSeconds: 30 },
      lastRequestAt: 9999,
    };
    const v = nodesVerdict({
      now: 11_500,
      drainStartedAt: 10_000,
      quietPeriod: 2000,
      quietMinRequests: 10,
      lbMargin: 500,
      lbReaction: 500,
      silenceCounts: true,
      peers: [peer],
      lb,
    });
    expect(v).toMatchObject({ stoppedAt: 11_500, kind: 'lb-health-checks-stopped' });
  });
});
