// From what one mode's run recorded to the numbers of the table. Every number is measured in this run except the
// sidecar mode's extrapolation to the controller run's pod count, which says so.

const ALB_BOUND_MS = 30_000; // @draingate/core LB_TYPES.alb.propagationBoundMs: the fake's target groups are HTTP (ALB)

export function pct(values, p) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Median, 99th percentile and maximum of `values` (null each when empty). */
function spreadOf(values) {
  return { p50: pct(values, 50), p99: pct(values, 99), max: pct(values, 100) };
}

function median(values) {
  return pct(values, 50);
}

/** Calls in the busiest one-second window. */
function peakPerSecond(times) {
  let peak = 0;
  let i = 0;
  const s = [...times].sort((a, b) => a - b);
  for (let j = 0; j < s.length; j++) {
    while (s[j] - s[i] >= 1000) i++;
    peak = Math.max(peak, j - i + 1);
  }
  return peak;
}

/** Replays calls through the account's bucket (40, 10/s): how many it would refuse. */
export function replayThroughBucket(times, burst = 40, rate = 10) {
  let tokens = burst;
  let at = times[0] ?? 0;
  let refused = 0;
  for (const t of [...times].sort((a, b) => a - b)) {
    tokens = Math.min(burst, tokens + ((t - at) / 1000) * rate);
    at = t;
    if (tokens >= 1) tokens -= 1;
    else refused++;
  }
  return refused;
}

export function summarize({
  mode,
  o,
  times,
  pods,
  bucket,
  caller,
  lifecycle,
  targetGroupArn,
  procs,
  albc,
  apiRequests,
  apiRequestsByVerb = null,
  kill,
  sampler,
  elbCalls,
}) {
  const { rolloutStart: t0, rolloutEnd: t1 } = times;
  const seconds = (t1 - t0) / 1000;
  const mine = bucket.log.filter((e) => e.caller === caller && e.at >= t0 && e.at <= t1);
  const describe = mine.filter((e) => e.action === 'DescribeTargetHealth');
  const all = [...pods.pods.values()];
  const created = all.filter((p) => p.createdAt >= t0 - 1000);
  const latencies = created
    .map((p) => {
      const h = p.ip ? lifecycle.get(targetGroupArn, p.ip, 8080) : null;
      return h?.healthyAt && p.gateTrueAt ? { ms: p.gateTrueAt - h.healthyAt, healthyAt: h.healthyAt } : null;
    })
    .filter((x) => x !== null);
  // Targets whose change (healthy, draining) only the new leader could act on wait for the takeover by design: shown
  // apart, not hidden. That is a change from one poll before the kill (the old leader's last poll may not have seen
  // it, or its write was still queued when it died) until the new leader's first poll could see it, whose result
  // (gate True, deregistration record) came after the kill.
  const pollMs = Number(/^(\d+)s$/.exec(o.pollInterval)?.[1] ?? 5) * 1000;
  const leaderless = kill
    ? [kill.at - 1.2 * pollMs - 1000, kill.takeoverMs === null ? Number.POSITIVE_INFINITY : kill.at + kill.takeoverMs + 1.2 * pollMs + 1000]
    : null;
  const waitedForTakeover = (changedAt, resultAt) =>
    leaderless !== null && changedAt >= leaderless[0] && changedAt <= leaderless[1] && resultAt >= kill.at;
  const inTakeover = (l) => waitedForTakeover(l.healthyAt, l.healthyAt + l.ms);
  const gateLatency = latencies.filter((l) => !inTakeover(l)).map((l) => l.ms);
  const takeoverLatency = latencies.filter(inTakeover).map((l) => l.ms);
  const deleted = all.filter((p) => p.deletionSeenAt !== null && p.deletionSeenAt >= t0);
  // When the evidence reached the app's side: controller mode, the deregistration record the leader wrote (the API
  // showed the target gone); sidecar mode, the first answered DescribeTargetHealth for the pod's own target after
  // the fake made it draining.
  const evidenceAt = (p) => {
    if (mode === 'controller') return p.recordStartedAt;
    const h = p.ip ? lifecycle.get(targetGroupArn, p.ip, 8080) : null;
    if (!h?.drainingAt) return null;
    const c = elbCalls.find((x) => x.at >= h.drainingAt && x.error === null && x.targets.some((t) => t.id === p.ip));
    return c?.at ?? null;
  };
  const evidence = deleted.map((p) => ({ p, at: evidenceAt(p) }));
  const apiEvidence = evidence.filter((e) => e.at !== null).map((e) => e.at - e.p.deletionSeenAt);
  const deregistered = apiEvidence.map((ms) => ms + ALB_BOUND_MS);
  const withinGrace = evidence.filter((e) => e.at !== null && e.at + ALB_BOUND_MS <= (e.p.deadline ?? 0)).length;
  // Where a pod's evidence time went: the deletion reaching the load balancer (kube-controller-manager's
  // EndpointSlices, then the AWS Load Balancer Controller: the environment, not draingate), and the target's
  // draining reaching draingate's evidence (draingate's own part: poll, takeover).
  const drainingAt = (p) => (p.ip ? (lifecycle.get(targetGroupArn, p.ip, 8080)?.drainingAt ?? null) : null);
  const split = evidence
    .filter((e) => e.at !== null && drainingAt(e.p) !== null)
    .map((e) => ({ e, toLb: drainingAt(e.p) - e.p.deletionSeenAt, toEvidence: e.at - drainingAt(e.p) }));
  const late = split.filter(({ e }) => e.at + ALB_BOUND_MS > (e.p.deadline ?? 0));
  const duringTakeover = (p) => waitedForTakeover(drainingAt(p), p.recordStartedAt ?? Number.POSITIVE_INFINITY);
  const rss = procs.map((p) => p.peakRssBytes).filter((x) => x > 0);
  const cpuSeconds = procs.reduce((a, p) => a + p.cpuBetween(t0, t1).seconds, 0);
  const served = sampler ?? [];
  return {
    mode,
    pods: mode === 'controller' ? o.pods : o.sidecars,
    rolloutSeconds: seconds,
    deploySeconds: (times.deployedAt - times.deployStart) / 1000,
    calls: describe.length,
    callTimes: describe.map((e) => e.at),
    describeAll: mine.length,
    callsPerSecond: describe.length / seconds,
    peakPerSecond: peakPerSecond(describe.map((e) => e.at)),
    targetGroups: 1,
    throttled: mine.filter((e) => e.throttled).length,
    throttledWholeRun: bucket.byCaller.get(caller)?.throttled ?? 0,
    albc,
    gateLatency: {
      n: latencies.length,
      of: created.length,
      outsideTakeover: gateLatency.length,
      p50: pct(gateLatency, 50),
      p99: pct(gateLatency, 99),
      max: pct(gateLatency, 100),
      takeover: { n: takeoverLatency.length, p99: pct(takeoverLatency, 99), max: pct(takeoverLatency, 100) },
    },
    apiEvidence: { n: apiEvidence.length, of: deleted.length, p50: pct(apiEvidence, 50), p99: pct(apiEvidence, 99) },
    deregistered: { p50: pct(deregistered, 50), p99: pct(deregistered, 99) },
    withinGrace: { n: withinGrace, of: deleted.length },
    deletionToLb: spreadOf(split.map((x) => x.toLb)),
    lbToEvidence: spreadOf(split.map((x) => x.toEvidence)),
    // Per pod, for a look after the run (epoch ms): [healthy, gate True] and [deletion seen, LB draining, evidence, deadline].
    detail: {
      kill: kill ? { at: kill.at, takeoverMs: kill.takeoverMs } : null,
      created: latencies.map((l) => [l.healthyAt, l.healthyAt + l.ms]),
      deleted: evidence.map((e) => [e.p.deletionSeenAt, drainingAt(e.p), e.at, e.p.deadline]),
    },
    late: {
      n: late.length,
      duringTakeover: late.filter((x) => duringTakeover(x.e.p)).length,
      toLb: spreadOf(late.map((x) => x.toLb)),
      toEvidence: spreadOf(late.map((x) => x.toEvidence)),
    },
    rss: { perProcessPeak: rss, median: median(rss), max: pct(rss, 100) },
    cpu: { seconds: cpuSeconds, shareOfCore: cpuSeconds / seconds, processes: procs.length },
    apiRequests,
    apiRequestsByVerb,
    falseAfterTrue: pods.falseAfterTrue().map((p) => p.name),
    kill,
    served: {
      sampled: served.length,
      deregisteredSeen: served.filter((s) => s.deregisteredSeenAt !== null).length,
      answers: served.reduce((a, s) => a + s.answers, 0),
      byFollower: served.reduce((a, s) => a + s.byFollower, 0),
      errors: served.reduce((a, s) => a + s.errors, 0),
    },
  };
}

/** The sidecar mode's numbers scaled to `pods` (labelled as extrapolated wherever shown). */
export function extrapolate(sidecar, pods) {
  const factor = pods / sidecar.pods;
  const times = sidecar.callTimes.flatMap((t) =>
    Array.from({ length: Math.round(factor) }, (_, i) => t + (i * 1000) / Math.round(factor) / 5),
  );
  return {
    factor,
    pods,
    calls: Math.round(sidecar.calls * factor),
    callsPerSecond: sidecar.callsPerSecond * factor,
    peakPerSecond: sidecar.peakPerSecond * factor,
    throttled: replayThroughBucket(times),
    rssTotal: (sidecar.rss.median ?? 0) * pods,
    cpuShare: sidecar.cpu.shareOfCore * factor,
  };
}
