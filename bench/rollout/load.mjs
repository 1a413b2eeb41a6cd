// Load at a fixed rate through the load balancer over keep-alive connections (undici Pools), every request's
// outcome recorded: its send time, latency, the LB node it went to, and either the status code or the client-side
// error kind. 1 request in 10 is a slow one (`/work?ms=300`): there are always requests in flight when a pod
// shuts down.
//
// An LB of several nodes has one entry point per node; clients pick a node per request by the nodes' traffic
// shares (seeded), as clients resolving the LB's DNS name spread over its node addresses. Connections are split
// by share too (at least 2 per node).
import { Pool } from 'undici';
import { stream } from './seeded.mjs';

export const SLOW_MS = 300;

/**
 * @param {{ port?: number, entryPoints?: { name: string, port: number, share: number }[], rate: number,
 *           connections?: number, timeout?: number, slowEvery?: number, seed?: number }} o
 *   rate in requests/s; timeout in ms (a request not answered by then counts as `timeout`). `port` is one entry
 *   point (a single-node LB, or any server).
 */
export function startLoad({ port, entryPoints, rate, connections = 64, timeout = 10_000, slowEvery = 10, seed = 1 }) {
  const points = entryPoints ?? [{ name: 'lb', port, share: 1 }];
  const total = points.reduce((n, p) => n + p.share, 0);
  const nodes = points.map((p) => ({
    name: p.name,
    share: p.share / total,
    pool: new Pool(`http://127.0.0.1:${p.port}`, {
      connections: points.length === 1 ? connections : Math.max(2, Math.round((connections * p.share) / total)),
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    }),
  }));
  const pick = stream(seed);
  const choose = () => {
    let x = pick();
    for (const n of nodes) {
      x -= n.share;
      if (x < 0) return n;
    }
    return nodes[nodes.length - 1];
  };
  /** @type {{ at: number, ms: number, outcome: string, node: string }[]} outcome: 'ok' | 'HTTP 502' | 'reset' | 'refused' | 'timeout' | … */
  const records = [];
  const pending = new Set();
  const startedAt = Date.now();
  let sent = 0; // requests due so far, sent or dropped
  let issued = 0;
  let stopped = false;
  // Gaps of ≥ 1 s between ticks: this process's event loop stalled and sent nothing, so every LB node fell silent at
  // once for that long (a client pause the app may take for nodes that stopped routing).
  const stalls = [];
  let lastTick = startedAt;

  const one = (slow) => {
    issued++;
    const at = Date.now();
    const node = choose();
    const p = node.pool
      .request({ method: 'GET', path: slow ? `/work?ms=${SLOW_MS}` : '/', headers: { host: 'service.example' } })
      // The whole body is read: a 200 whose body is cut off (reset, body timeout) is a failure, not 'ok'.
      // (undici's body.dump() would resolve on such an error and hide it.)
      .then(async (res) => {
        await res.body.arrayBuffer();
        return res.statusCode >= 200 && res.statusCode < 300 ? 'ok' : `HTTP ${res.statusCode}`;
      })
      .catch(errorKind)
      .then((outcome) => {
        records.push({ at, ms: Date.now() - at, outcome, node: node.name });
        pending.delete(p);
      });
    pending.add(p);
  };

  // Every 10 ms, send what the rate says is due since the start (no drift, no catch-up bursts beyond one tick).
  const ticker = setInterval(() => {
    if (stopped) return;
    const now = Date.now();
    if (now - lastTick >= 1000) stalls.push({ at: lastTick, ms: now - lastTick });
    lastTick = now;
    const due = Math.floor(((now - startedAt) * rate) / 1000);
    for (let n = Math.min(due - sent, Math.ceil(rate / 50)); n > 0; n--) one(++sent % slowEvery === 0);
    sent = Math.max(sent, due - Math.ceil(rate / 50)); // a stalled event loop drops, rather than bursts
  }, 10);

  return {
    startedAt,
    records,
    get sent() {
      return sent;
    },
    /** Stalls of ≥ 1 s of this process's event loop: `{ at, ms }`, epoch ms. */
    stalls,
    /** Requests the rate called for but never sent because this process's event loop stalled. */
    get dropped() {
      return sent - issued;
    },
    /** Stops sending, waits for every request's outcome (bounded by the request timeout), closes the pools. */
    async stop() {
      stopped = true;
      clearInterval(ticker);
      await Promise.all(pending);
      await Promise.all(nodes.map((n) => n.pool.close()));
      return records;
    },
  };
}

function errorKind(error) {
  const code = error?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') return 'reset';
  return `error ${code || error?.message}`;
}

/** Counts (failures by kind and by LB node), latency percentiles and a per-second timeline (by send time) of a run's records. */
export function summarize(records, startedAt) {
  const failures = {};
  const failuresByNode = {};
  const lat = [];
  for (const r of records) {
    if (r.outcome === 'ok') lat.push(r.ms);
    else {
      failures[r.outcome] = (failures[r.outcome] ?? 0) + 1;
      failuresByNode[r.node] = (failuresByNode[r.node] ?? 0) + 1;
    }
  }
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null);
  const failed = records.length - lat.length;
  const timeline = [];
  for (const r of records) {
    const s = Math.floor((r.at - startedAt) / 1000);
    while (timeline.length <= s) timeline.push({ ok: 0, failed: {} });
    const b = timeline[s];
    if (r.outcome === 'ok') b.ok++;
    else b.failed[r.outcome] = (b.failed[r.outcome] ?? 0) + 1;
  }
  return {
    requests: records.length,
    failed,
    failures,
    failuresByNode,
    success: records.length ? (records.length - failed) / records.length : 0,
    p50: q(0.5),
    p99: q(0.99),
    max: lat.length ? lat[lat.length - 1] : null,
    timeline,
  };
}
