// The table of a scale run: controller mode measured, per-pod sidecars measured at the count the machine holds, and
// those sidecars extrapolated to the controller run's pod count (labelled as such), plus the checks of issue 14.
import { extrapolate } from './summary.mjs';

/** Milliseconds as seconds with one decimal, or — when there is no value. */
export const formatSeconds = (ms) => (ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
const s = formatSeconds;
const mb = (b) => (b === null || b === undefined ? '—' : `${Math.round(b / 1024 / 1024)} MB`);
const n1 = (x) => (x === null || x === undefined ? '—' : x.toFixed(2));

export function table(result) {
  const c = result.controller;
  const sc = result.sidecar;
  const x = sc ? extrapolate(sc, c.pods) : null;
  const head = ['', `controller mode, ${c.pods} pods (measured)`];
  if (sc)
    head.push(`per-pod sidecars, ${sc.pods} pods (measured)`, `per-pod sidecars, ${c.pods} pods (extrapolated ×${x.factor.toFixed(1)})`);
  const rows = [
    ['DescribeTargetHealth calls (rolling update)', String(c.calls), sc ? String(sc.calls) : null, x ? `~${x.calls}` : null],
    [
      'calls/s: mean / peak (1 s)',
      `${n1(c.callsPerSecond)} / ${c.peakPerSecond}`,
      sc ? `${n1(sc.callsPerSecond)} / ${sc.peakPerSecond}` : null,
      x ? `~${n1(x.callsPerSecond)} / ~${Math.round(x.peakPerSecond)}` : null,
    ],
    [
      'calls/s per target group (mean)',
      n1(c.callsPerSecond / c.targetGroups),
      sc ? n1(sc.callsPerSecond) : null,
      x ? `~${n1(x.callsPerSecond)}` : null,
    ],
    [
      'throttled calls (account bucket 40, 10/s)',
      String(c.throttled),
      sc ? String(sc.throttled) : null,
      x ? `~${x.throttled} (replayed through the bucket)` : null,
    ],
    [
      "ALBC's calls throttled (its reconciles delayed)",
      String(c.albc.throttled),
      sc ? String(sc.albc.throttled) : null,
      x ? (x.throttled > 0 ? 'likely (same bucket)' : '—') : null,
    ],
    [
      'target healthy → gate True: p50 / p99',
      `${s(c.gateLatency.p50)} / ${s(c.gateLatency.p99)}`,
      sc ? `${s(sc.gateLatency.p50)} / ${s(sc.gateLatency.p99)}` : null,
      x ? 'worse (throttled polls)' : null,
    ],
    [
      '… turned healthy around the kill, left to the new leader: n, p99 / max',
      c.kill ? `${c.gateLatency.takeover.n} pods, ${s(c.gateLatency.takeover.p99)} / ${s(c.gateLatency.takeover.max)}` : '— (no kill)',
      sc ? '—' : null,
      x ? '—' : null,
    ],
    [
      'draining → API evidence: p50 / p99',
      `${s(c.apiEvidence.p50)} / ${s(c.apiEvidence.p99)}`,
      sc ? `${s(sc.apiEvidence.p50)} / ${s(sc.apiEvidence.p99)}` : null,
      x ? 'worse (throttled polls)' : null,
    ],
    [
      '… of which deletion → LB target draining (kcm + ALBC): p50 / p99',
      `${s(c.deletionToLb.p50)} / ${s(c.deletionToLb.p99)}`,
      sc ? `${s(sc.deletionToLb.p50)} / ${s(sc.deletionToLb.p99)}` : null,
      x ? '—' : null,
    ],
    [
      '… of which LB target draining → evidence (draingate): p50 / p99',
      `${s(c.lbToEvidence.p50)} / ${s(c.lbToEvidence.p99)}`,
      sc ? `${s(sc.lbToEvidence.p50)} / ${s(sc.lbToEvidence.p99)}` : null,
      x ? 'worse (throttled polls)' : null,
    ],
    [
      'draining → deregistered: true (+ALB bound 30 s): p50 / p99',
      `${s(c.deregistered.p50)} / ${s(c.deregistered.p99)}`,
      sc ? `${s(sc.deregistered.p50)} / ${s(sc.deregistered.p99)}` : null,
      null,
    ],
    [
      'pods with evidence within their grace period',
      `${c.withinGrace.n}/${c.withinGrace.of}`,
      sc ? `${sc.withinGrace.n}/${sc.withinGrace.of}` : null,
      null,
    ],
    ['rolling update duration', s(c.rolloutSeconds * 1000), sc ? s(sc.rolloutSeconds * 1000) : null, null],
    [
      'memory (RSS)',
      `${c.rss.perProcessPeak.map(mb).join(' + ')} (peak per replica)`,
      sc ? `${mb(sc.rss.median)} per pod (median), ${mb(sc.rss.median * sc.pods)} total` : null,
      x ? `~${(x.rssTotal / 1024 ** 3).toFixed(1)} GB total` : null,
    ],
    [
      'CPU during the rolling update (share of one core)',
      `${n1(c.cpu.shareOfCore)} (${c.cpu.processes} replicas)`,
      sc ? `${n1(sc.cpu.shareOfCore)} (${sc.cpu.processes} processes)` : null,
      x ? `~${n1(x.cpuShare)}` : null,
    ],
    ['API-server requests by draingate', c.apiRequests === null ? '—' : String(c.apiRequests), sc ? '(not counted)' : null, null],
  ].map((r) => (sc ? r.map((v) => v ?? '—') : r.slice(0, 2)));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => `| ${cells.map((v, i) => String(v).padEnd(widths[i])).join(' | ')} |`;
  const out = [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  return { text: out.join('\n'), extrapolated: x };
}

/** Issue 14's "done when", each with whether this run met it. */
export function checks(result, o) {
  const c = result.controller;
  const list = [
    ['the rolling update completed', c.rolloutSeconds > 0],
    ['zero throttled ELBv2 calls (controller)', c.throttled === 0 && c.throttledWholeRun === 0],
    ['DescribeTargetHealth ≤ 2 calls/s on average per target group', c.callsPerSecond / c.targetGroups <= 2],
    [
      `gate latency p99 ≤ one health-check interval + 2 s (${(o.hcIntervalMs + 2000) / 1000} s) outside the leaderless window; every new pod's gate True`,
      c.gateLatency.p99 !== null && c.gateLatency.p99 <= o.hcIntervalMs + 2000 && c.gateLatency.n === c.gateLatency.of,
    ],
    [
      'controller RSS ≤ 150 MB (each replica)',
      c.rss.perProcessPeak.length > 0 && c.rss.perProcessPeak.every((b) => b <= 150 * 1024 * 1024),
    ],
    ['no gate written False after True', c.falseAfterTrue.length === 0],
    ['every deleted pod got its evidence within its grace period', c.withinGrace.n === c.withinGrace.of && c.withinGrace.of > 0],
  ];
  if (o.killLeader)
    list.push(['the leader was killed mid-rollout and a follower took over', c.kill !== null && c.kill.takeoverMs !== null]);
  return list.map(([what, ok]) => ({ what, ok }));
}
