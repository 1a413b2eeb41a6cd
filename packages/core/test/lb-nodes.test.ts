import { describe, expect, it } from 'vitest';
import { quietSignificance } from '../src/internal/evidence.js';
import { LbHealthChecks } from '../src/internal/lb-health-checks.js';
import { type NodesInputs, nodesVerdict, type PeerInput, silenceNeeded } from '../src/internal/lb-nodes.js';
import { PeerTraffic, summarize, TrafficRate } from '../src/internal/traffic.js';

// Evidence per LB node (DESIGN §3): a load balancer is several nodes that stop routing at different times.
const T0 = 1_000_000; // draining begins
const steady = (rate: number) => ({ rate, steadiness: 1, spanSeconds: 30 });

/** A peer with `rate` req/s, steady for the 30 s before draining, last request at `last` (ms after T0; -Infinity: none since). */
function peer(address: string, rate: number, last = -1): PeerInput {
  const counts = new Array<number>(30).fill(rate);
  return { address, counts, before: summarize(counts), lastRequestAt: last === -1 ? T0 - 1 : T0 + last };
}

function inputs(o: Partial<NodesInputs> & { at: number }): NodesInputs {
  return {
    now: T0 + o.at,
    drainStartedAt: T0,
    quietPeriod: 2000,
    quietMinRequests: 10,
    lbMargin: 500,
    lbReaction: 500,
    silenceCounts: true,
    peers: [],
    lb: new LbHealthChecks(2),
    ...o,
  };
}

/** An LB node that health-checked every `every` ms for 30 s before draining, and `failing` times since, `gap` ms apart. */
function checks(lb: LbHealthChecks, address: string, every = 5000, failing = 0, gap = every): LbHealthChecks {
  for (let t = T0 - 30_000; t < T0; t += every) lb.record(`${address} app:8080 /readyz`, true, t, false);
  for (let k = 1; k <= failing; k++) lb.record(`${address} app:8080 /readyz`, false, T0 + k * gap, true);
  return lb;
}

describe('silence per node: long enough for its own rate', () => {
  it('needs max(quietPeriod, quietMinRequests / rate) of silence after steady traffic', () => {
    expect(silenceNeeded(steady(100), 2000, 10)).toBe(2000);
    expect(silenceNeeded(steady(5), 2000, 10)).toBe(2000);
    expect(silenceNeeded(steady(4), 2000, 10)).toBe(2500); // 2 s would expect 8 < 10
    expect(silenceNeeded(steady(1), 2000, 10)).toBe(10_000);
    // A burst is not steady traffic, however high its average; too little history predicts nothing.
    expect(silenceNeeded({ rate: 30, steadiness: 0.1, spanSeconds: 30 }, 2000, 10)).toBeNull();
    expect(silenceNeeded({ rate: 30, steadiness: 1, spanSeconds: 2 }, 2000, 10)).toBeNull();
    // 0.2 req/s: a period is 10 s (2 requests expected); 3 periods of history are needed.
    expect(silenceNeeded({ rate: 0.2, steadiness: 1, spanSeconds: 20 }, 2000, 10)).toBeNull();
    expect(silenceNeeded({ rate: 0.2, steadiness: 1, spanSeconds: 30 }, 2000, 10)).toBe(50_000);
    // The whole traffic's quiet period, as /status shows it, keeps its fixed window.
    expect(quietSignificance(steady(5), 2000, 10)).toEqual({ significant: true, expected: 10 });
  });

  it('steady low traffic scores as steady: periods long enough to expect 2 requests', () => {
    const t = new TrafficRate();
    for (let s = 0; s < 30; s++) if (s % 2 === 0) t.record(T0 - 30_000 + s * 1000); // 0.5 req/s, every other second
    const snap = t.snapshot(T0);
    expect(snap.rate).toBe(0.5);
    expect(snap.steadiness).toBe(1); // 4 s periods, each with 2 requests (1-second buckets would say 0.5)
  });

  it('counts silence from the start of draining, not from before it', () => {
    const last10sBefore = { ...peer('10.0.1.1', 50), lastRequestAt: T0 - 10_000 };
    expect(nodesVerdict(inputs({ at: 1500, peers: [last10sBefore] })).stoppedAt).toBeNull();
    expect(nodesVerdict(inputs({ at: 2000, peers: [last10sBefore] }))).toMatchObject({ stoppedAt: T0 + 2000, kind: 'quiet-period' });
  });

  it("a request during draining restarts that node's silence", () => {
    expect(nodesVerdict(inputs({ at: 3000, peers: [peer('10.0.1.1', 50, 1500)] })).stoppedAt).toBeNull();
    expect(nodesVerdict(inputs({ at: 3500, peers: [peer('10.0.1.1', 50, 1500)] })).stoppedAt).toBe(T0 + 3500);
  });
});

describe('every node that routed here must have stopped', () => {
  it('one lagging node with a small share holds draining while the busy ones are quiet', () => {
    const lb = checks(checks(checks(new LbHealthChecks(2), '10.0.1.1'), '10.0.1.2'), '10.0.1.3');
    // Nodes 1 and 2 let go at once; node 3 (1 req/s) routes until 6 s: 2 s of overall quiet would have ended here.
    const peers = [peer('10.0.1.1', 100), peer('10.0.1.2', 60), peer('10.0.1.3', 1, 6000)];
    const at8 = nodesVerdict(inputs({ at: 8000, peers, lb }));
    expect(at8.stoppedAt).toBeNull();
    expect(at8.detail).toBe('still routing here: 10.0.1.3');
    expect(at8.nodes.map((n) => [n.address, n.role, n.state])).toEqual([
      ['10.0.1.1', 'lb-node', 'stopped'],
      ['10.0.1.2', 'lb-node', 'stopped'],
      ['10.0.1.3', 'lb-node', 'routing'],
    ]);
    // Its own rate needs 10 s of silence: from 6 s, at 16 s.
    expect(nodesVerdict(inputs({ at: 15_999, peers, lb })).stoppedAt).toBeNull();
    expect(nodesVerdict(inputs({ at: 16_000, peers, lb }))).toMatchObject({ stoppedAt: T0 + 16_000, kind: 'quiet-period' });
  });

  it('a node that still health-checks and sends too little to tell by silence blocks until its checks fail', () => {
    const lb = checks(new LbHealthChecks(2), '10.0.1.9', 5000, 1, 5000); // one failing check at 5 s
    const peers = [peer('10.0.1.9', 0.05)];
    expect(nodesVerdict(inputs({ at: 9000, peers, lb })).stoppedAt).toBeNull();
    lb.record('10.0.1.9 app:8080 /readyz', false, T0 + 10_000, true); // the 2nd: the node has marked us unhealthy
    expect(nodesVerdict(inputs({ at: 10_499, peers, lb })).stoppedAt).toBeNull(); // lbMargin
    expect(nodesVerdict(inputs({ at: 10_500, peers, lb }))).toMatchObject({ stoppedAt: T0 + 10_500, kind: 'lb-health-checks' });
  });

  it('failing checks do not outweigh requests: a node that keeps sending after them still routes', () => {
    const lb = checks(new LbHealthChecks(2), '10.0.1.9', 1000, 2, 1000); // failed twice by 2 s
    const stillSending = [peer('10.0.1.9', 0.05, 4000)];
    expect(nodesVerdict(inputs({ at: 4400, peers: stillSending, lb })).stoppedAt).toBeNull();
    expect(nodesVerdict(inputs({ at: 4500, peers: stillSending, lb })).stoppedAt).toBe(T0 + 4500);
  });

  it('a node never seen, and one that stopped checking before draining, do not block', () => {
    const lb = new LbHealthChecks(2);
    for (let t = T0 - 60_000; t < T0 - 40_000; t += 5000) lb.record('10.0.1.7 app:8080 /readyz', true, t, false); // gone
    const v = nodesVerdict(inputs({ at: 2000, peers: [peer('10.0.1.1', 100)], lb }));
    expect(v).toMatchObject({ stoppedAt: T0 + 2000, kind: 'quiet-period' });
    expect(v.nodes.map((n) => n.address)).toEqual(['10.0.1.1']);
  });

  it('pools peers whose own traffic proves nothing; the pool counts like one peer when theirs together does', () => {
    // 20 clients at 0.25 req/s each (an NLB preserving client IPs, in-cluster callers): 5 req/s together.
    const clients = Array.from({ length: 20 }, (_, k) => peer(`10.9.0.${k}`, 0.25));
    const v = nodesVerdict(inputs({ at: 1999, peers: clients }));
    expect(v.nodes).toEqual([expect.objectContaining({ address: 'other peers', role: 'other-peers', state: 'routing', rateBefore: 5 })]);
    expect(nodesVerdict(inputs({ at: 2000, peers: clients }))).toMatchObject({ stoppedAt: T0 + 2000, kind: 'quiet-period' });
    // Two of them, 0.5 req/s together: 20 s of silence tell.
    expect(nodesVerdict(inputs({ at: 19_999, peers: clients.slice(0, 2) })).stoppedAt).toBeNull();
    expect(nodesVerdict(inputs({ at: 20_000, peers: clients.slice(0, 2) })).stoppedAt).toBe(T0 + 20_000);
    // One request in the last 30 s: nothing to tell by silence, and nothing that blocks either.
    const once = {
      address: '10.9.1.1',
      counts: [...new Array<number>(29).fill(0), 1],
      before: summarize([...new Array<number>(29).fill(0), 1]),
      lastRequestAt: T0 - 500,
    };
    expect(nodesVerdict(inputs({ at: 60_000, peers: [once] }))).toMatchObject({
      stoppedAt: null,
      detail: 'no LB node or peer routed here',
      nodes: [expect.objectContaining({ state: 'idle' })],
    });
  });

  it('the weakest evidence names the result: health checks that failed everywhere are strong', () => {
    const lb = checks(checks(new LbHealthChecks(2), '10.0.1.1', 1000, 2, 500), '10.0.1.2', 1000, 2, 500);
    expect(nodesVerdict(inputs({ at: 1500, lb }))).toMatchObject({ stoppedAt: T0 + 1500, kind: 'lb-health-checks' });
    const quietToo = nodesVerdict(inputs({ at: 2000, lb, peers: [peer('10.0.1.3', 100)] }));
    expect(quietToo).toMatchObject({ stoppedAt: T0 + 2000, kind: 'quiet-period' });
    expect(quietToo.detail).toMatch(/10\.0\.1\.1 \(1 health-check source\(s\) each answered 2 failing checks/);
  });
});

describe("behind an NLB (L4): only failing health checks, after the NLB's reaction time", () => {
  // Clients keep their connections; once this pod answers Connection: close they move to connections elsewhere,
  // so the silence that follows says nothing about whether the NLB node would still open new ones here.
  const nlb = { silenceCounts: false, lbReaction: 40_000 };

  it("a node's silence, its stopped checks and a quiet pool do not count", () => {
    const lb = checks(new LbHealthChecks(2), '10.0.1.1', 1000);
    const peers = [peer('10.0.1.1', 100), ...Array.from({ length: 10 }, (_, k) => peer(`10.9.0.${k}`, 1))];
    const v = nodesVerdict(inputs({ at: 30_000, peers, lb, ...nlb }));
    expect(v.stoppedAt).toBeNull();
    expect(v.nodes.map((n) => [n.address, n.state])).toEqual([['10.0.1.1', 'routing']]); // peers: nothing either way
  });

  it('every node failing its checks ends it once the reaction time has passed since the last one', () => {
    const lb = checks(checks(new LbHealthChecks(2), '10.0.1.1', 10_000, 2, 10_000), '10.0.1.2', 10_000, 2, 5000);
    const peers = [peer('10.0.1.1', 100, 3000), peer('10.0.1.2', 50, 3000)];
    expect(nodesVerdict(inputs({ at: 59_999, peers, lb, ...nlb })).stoppedAt).toBeNull(); // 10.0.1.1 failed at 20 s
    expect(nodesVerdict(inputs({ at: 60_000, peers, lb, ...nlb }))).toMatchObject({ stoppedAt: T0 + 60_000, kind: 'lb-health-checks' });
  });
});

describe("the reaction time counts from the node's failing verdict; a later request adds only the margin", () => {
  const nlb = { silenceCounts: false, lbReaction: 40_000 };

  it('a request 29 s after the checks failed does not restart the 40 s reaction (it only shows the node routed then)', () => {
    // Threshold reached at 20 s (2 failing checks 10 s apart); the last request at 49 s, on a connection the node opened
    // within its reaction time. The node counts as stopped at max(20 + 40, 49 + 0.5) = 60 s, not 49 + 40 = 89 s.
    const lb = checks(new LbHealthChecks(2), '10.0.1.1', 10_000, 2, 10_000);
    const peers = [peer('10.0.1.1', 100, 49_000)];
    expect(nodesVerdict(inputs({ at: 59_999, peers, lb, ...nlb })).stoppedAt).toBeNull();
    expect(nodesVerdict(inputs({ at: 60_000, peers, lb, ...nlb }))).toMatchObject({ stoppedAt: T0 + 60_000, kind: 'lb-health-checks' });
  });

  it('a request after the reaction time shows the node still routes: stopped only lbMargin after it', () => {
    const lb = checks(new LbHealthChecks(2), '10.0.1.1', 10_000, 2, 10_000);
    const peers = [peer('10.0.1.1', 100, 70_000)];
    expect(nodesVerdict(inputs({ at: 70_499, peers, lb, ...nlb })).stoppedAt).toBeNull();
    expect(nodesVerdict(inputs({ at: 70_500, peers, lb, ...nlb }))).toMatchObject({ stoppedAt: T0 + 70_500 });
  });
});

describe('PeerTraffic', () => {
  it('counts each peer on its own and all together', () => {
    const t = new PeerTraffic();
    for (let i = 0; i < 100; i++) t.record(T0 - 10_000 + i * 100, i % 4 === 0 ? '10.0.1.2' : '10.0.1.1');
    const peers = new Map(t.peers());
    expect(peers.get('10.0.1.1')?.snapshot(T0).rate).toBe(7.5);
    expect(peers.get('10.0.1.2')?.snapshot(T0).rate).toBe(2.5);
    expect(t.total.snapshot(T0).rate).toBe(10);
    expect(t.lastRequestAt).toBe(T0 - 10_000 + 9900);
  });

  it('keeps at most 256 peers: a long-silent one makes room, else the rest count as "other"', () => {
    const t = new PeerTraffic();
    for (let k = 0; k < 256; k++) t.record(T0, `10.1.${k >> 8}.${k & 255}`);
    t.record(T0 + 1000, '10.2.0.1');
    expect([...t.peers()].map(([a]) => a)).toContain('other');
    t.record(T0 + 120_000, '10.2.0.2'); // every earlier peer has been silent for 2 minutes
    expect([...t.peers()].map(([a]) => a)).toContain('10.2.0.2');
    expect([...t.peers()].length).toBeLessThanOrEqual(256);
  });
});
