import { formatDuration } from './duration.js';
import type { LbHealthChecks, LbVerdict } from './lb-health-checks.js';
import { summarize, type TrafficSnapshot } from './traffic.js';

/**
 * Evidence per load-balancer node (DESIGN §3). A load balancer is several nodes that stop routing to a draining
 * target at different times, each on its own schedule; each opens its own connections from its own address and
 * health-checks every target itself. So the app tracks each peer address on its own and draining may end only once
 * every node that routed here has stopped: one lagging node that carries a small share of the traffic must not hide
 * behind the silence of the others.
 *
 * - An **LB node** is a peer that sent the LB's health checks. It has stopped when its checks failed
 *   `unhealthyThreshold` times (+ its reaction time, and `lbMargin` after its last request), when its regular checks stopped
 *   (+ `lbMargin`), or when its own traffic has been silent for long enough given its own rate before draining.
 *   While none of these holds it blocks, however little traffic it carries.
 * - Any other **peer** (a client seen directly: in-cluster callers, an NLB preserving client IPs; or an LB node whose
 *   checks go to another port) busy enough that `quietPeriod` of silence is telling (≥ quietMinRequests expected in
 *   it) has stopped once silent that long. Lower-rate peers are pooled (`other peers`), and the pool counts like one
 *   peer when its traffic together does: each of them alone would need a long silence of its own.
 * - Long enough: `max(quietPeriod, quietMinRequests / rate)`, so that the silence stands where at least
 *   `quietMinRequests` requests were expected (2 s at 100 req/s, 10 s at 1 req/s), and only after steady traffic.
 */

/** Below this share of non-empty periods, traffic was bursty: its silence proves nothing. */
export const MIN_STEADINESS = 0.8;
/** Fewer seconds of history than this predict nothing... */
export const MIN_HISTORY_SECONDS = 3;
/** ...nor fewer whole periods than this (a period is as long as 2 expected requests: see `summarize`). */
const MIN_PERIODS = 3;

/** How a node stopped routing here, weakest last. */
export type StopKind = 'lb-health-checks' | 'lb-health-checks-stopped' | 'quiet-period';

/** One node or peer as the drain watch sees it (and `GET /status` shows it, under `drain.nodes`). */
export interface NodeState {
  /** The peer address, or `other peers` for the pool. */
  address: string;
  /** `lb-node`: sent the LB's health checks; `peer`: a client with steady traffic; `other-peers`: the pool. */
  role: 'lb-node' | 'peer' | 'other-peers';
  /** `idle`: did not route here before or during draining, or its traffic proves nothing: it does not block. */
  state: 'routing' | 'stopped' | 'idle';
  /** What showed it stopped. */
  by: StopKind | null;
  /** Epoch ms it counts as stopped from (margins included), or `null`. */
  stoppedAt: number | null;
  /** Requests per second before draining. */
  rateBefore: number;
  /** The silence that would show it stopped, ms (`null`: its traffic was too low or irregular to tell). */
  silenceNeededMs: number | null;
  /** Epoch ms of its last application request, or -1. */
  lastRequestAt: number;
  detail: string;
}

export interface NodesVerdict {
  nodes: NodeState[];
  /** When the last node that routed here stopped, once every such node has (and at least one did); else `null`. */
  stoppedAt: number | null;
  /** The weakest evidence among the stopped nodes, when `stoppedAt` is set. */
  kind: StopKind | null;
  detail: string;
}

/** A peer's traffic: before draining (per-second counts, oldest first, and their summary) and its last request. */
export interface PeerInput {
  address: string;
  counts: readonly number[];
  before: TrafficSnapshot;
  lastRequestAt: number;
}

export interface NodesInputs {
  now: number;
  drainStartedAt: number;
  quietPeriod: number;
  quietMinRequests: number;
  /** Time after a node's last request, or after its checks stopped, before it counts as stopped (lbHealthCheck.margin). */
  lbMargin: number;
  /** Time for a node to act on its failing verdict: the LB type's reaction time (NLB 40 s, ALB none) + lbHealthCheck.margin. */
  lbReaction: number;
  /**
   * Whether a node's silence (of its requests or of its health checks) shows it stopped routing: behind an ALB;
   * not behind an NLB (L4), where only failing health checks count (LB_TYPES).
   */
  silenceCounts: boolean;
  peers: readonly PeerInput[];
  lb: Pick<LbHealthChecks, 'nodes' | 'nodeVerdict' | 'threshold'>;
}

/**
 * The silence (ms) after which a peer with this traffic before draining counts as stopped, or `null` when its
 * silence proves nothing (no traffic, bursty traffic, too little history).
 */
export function silenceNeeded(before: TrafficSnapshot, quietPeriod: number, quietMinRequests: number): number | null {
  if (before.rate <= 0 || before.steadiness < MIN_STEADINESS) return null;
  const period = Math.max(1, Math.ceil(2 / before.rate));
  if (before.spanSeconds < Math.max(MIN_HISTORY_SECONDS, MIN_PERIODS * period)) return null;
  return Math.max(quietPeriod, Math.ceil((1000 * quietMinRequests) / before.rate));
}

const WEAKNESS: Record<StopKind, number> = { 'lb-health-checks': 0, 'lb-health-checks-stopped': 1, 'quiet-period': 2 };

/** Decides, node by node, which of the peers that routed here have stopped. Pure. */
export function nodesVerdict(i: NodesInputs): NodesVerdict {
  const peers = new Map(i.peers.map((p) => [p.address, p]));
  const lbNodes = i.lb.nodes();
  const nodes: NodeState[] = [];
  const pooled: PeerInput[] = [];
  const none: PeerInput = { address: '', counts: [], before: { rate: 0, steadiness: 0, spanSeconds: 0 }, lastRequestAt: -1 };
  for (const address of new Set([...lbNodes, ...peers.keys()])) {
    const peer = peers.get(address) ?? { ...none, address };
    const need = silenceNeeded(peer.before, i.quietPeriod, i.quietMinRequests);
    // A node whose checks stopped before draining (replaced, scaled in) says nothing as an LB node any more.
    const hc = lbNodes.has(address) ? i.lb.nodeVerdict(address, i.now, i.drainStartedAt, peer.lastRequestAt) : 'none';
    if (hc !== 'none') nodes.push(lbNode(i, peer, i.silenceCounts ? need : null, hc));
    // Behind an NLB a peer's silence proves nothing: only the LB nodes' failing checks can end draining early.
    else if (!i.silenceCounts) continue;
    // A peer busy enough that quietPeriod alone is telling (likely an LB node whose checks go elsewhere) on its own;
    // the long tail of low-rate peers together, or each would need a long silence of its own.
    else if (need !== null && need <= i.quietPeriod) nodes.push(bySilence(i, peer, need, 'peer'));
    else if (peer.before.rate > 0 || peer.lastRequestAt >= 0) pooled.push(peer);
  }
  if (pooled.length > 0) {
    const pool = poolOf(pooled);
    const need = silenceNeeded(pool.before, i.quietPeriod, i.quietMinRequests);
    nodes.push(
      need === null
        ? state(
            pool,
            'other-peers',
            'idle',
            null,
            null,
            need,
            `${pooled.length} peer(s) whose traffic, even together, proves nothing by silence`,
          )
        : bySilence(i, pool, need, 'other-peers'),
    );
  }
  const blocking = nodes.filter((n) => n.state !== 'idle');
  if (blocking.length === 0 || blocking.some((n) => n.state === 'routing')) {
    const routing = blocking.filter((n) => n.state === 'routing').map((n) => n.address);
    const detail = blocking.length === 0 ? 'no LB node or peer routed here' : `still routing here: ${routing.join(', ')}`;
    return { nodes, stoppedAt: null, kind: null, detail };
  }
  let stoppedAt = -1;
  let kind: StopKind = 'lb-health-checks';
  for (const n of blocking) {
    stoppedAt = Math.max(stoppedAt, n.stoppedAt as number);
    if (WEAKNESS[n.by as StopKind] > WEAKNESS[kind]) kind = n.by as StopKind;
  }
  const detail = `every LB node and peer that routed here has stopped: ${blocking.map((n) => `${n.address} (${n.detail})`).join('; ')}`;
  return { nodes, stoppedAt, kind, detail };
}

function lbNode(i: NodesInputs, peer: PeerInput, need: number | null, hc: LbVerdict | 'routing'): NodeState {
  const candidates: { by: StopKind; at: number; detail: string }[] = [];
  // Checks that stopped are a node's silence too: they count only where silence does.
  if (typeof hc === 'object' && (hc.stoppedSources === 0 || i.silenceCounts)) {
    const failed = hc.stoppedSources === 0;
    // The node acts on its failing verdict within the reaction time, counted from the verdict; a request after that
    // shows it still routed then, and it counts as stopped only the margin after its last one.
    const at = failed ? Math.max(hc.since + i.lbReaction, peer.lastRequestAt + i.lbMargin) : hc.since + i.lbMargin;
    candidates.push({
      by: failed ? 'lb-health-checks' : 'lb-health-checks-stopped',
      at,
      detail: hc.detail,
    });
  }
  if (need !== null) candidates.push(silence(i, peer, need));
  const done = candidates.filter((c) => c.at <= i.now).sort((a, b) => a.at - b.at)[0];
  if (done) return state(peer, 'lb-node', 'stopped', done.by, done.at, need, done.detail);
  return state(
    peer,
    'lb-node',
    'routing',
    null,
    null,
    need,
    typeof hc === 'object' ? 'its health checks failed; within its reaction time' : 'still health-checking here, not yet failed or stopped',
  );
}

function bySilence(i: NodesInputs, peer: PeerInput, need: number, role: NodeState['role']): NodeState {
  const s = silence(i, peer, need);
  return s.at <= i.now
    ? state(peer, role, 'stopped', 'quiet-period', s.at, need, s.detail)
    : state(
        peer,
        role,
        'routing',
        null,
        null,
        need,
        `silent ${formatDuration(Math.max(0, i.now - Math.max(i.drainStartedAt, peer.lastRequestAt)))} of ${formatDuration(need)}`,
      );
}

/** Silence counts from draining on: a pause before it says nothing about the LB's reaction. */
function silence(i: NodesInputs, peer: PeerInput, need: number): { by: StopKind; at: number; detail: string } {
  const expected = (peer.before.rate * need) / 1000;
  return {
    by: 'quiet-period',
    at: Math.max(i.drainStartedAt, peer.lastRequestAt) + need,
    detail: `no request for ${formatDuration(need)} where ${expected.toFixed(0)} were expected at ${peer.before.rate.toFixed(1)} req/s`,
  };
}

function state(
  peer: PeerInput,
  role: NodeState['role'],
  s: NodeState['state'],
  by: StopKind | null,
  stoppedAt: number | null,
  silenceNeededMs: number | null,
  detail: string,
): NodeState {
  return {
    address: peer.address,
    role,
    state: s,
    by,
    stoppedAt,
    rateBefore: Math.round(peer.before.rate * 100) / 100,
    silenceNeededMs,
    lastRequestAt: peer.lastRequestAt,
    detail,
  };
}

/** The pooled peers as one: their per-second counts added up (aligned on the most recent second). */
function poolOf(peers: readonly PeerInput[]): PeerInput {
  const length = Math.max(...peers.map((p) => p.counts.length));
  const counts = new Array<number>(length).fill(0);
  for (const p of peers) {
    const offset = length - p.counts.length;
    p.counts.forEach((c, k) => {
      counts[offset + k] = (counts[offset + k] as number) + c;
    });
  }
  return { address: 'other peers', counts, before: summarize(counts), lastRequestAt: Math.max(...peers.map((p) => p.lastRequestAt)) };
}
