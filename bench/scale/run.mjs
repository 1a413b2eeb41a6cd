// `pnpm bench:scale`: issue 14's scale benchmark. A 1,000-replica Deployment's rolling update (maxSurge 25 %) on a
// real kube-apiserver + etcd + kube-controller-manager with a simulated kubelet, an emulated AWS Load Balancer
// Controller and the fake ELBv2 (the account's Describe* bucket 40, 10/s; targets healthy one check interval after
// registration), driven by two draingate-controller processes (the leader SIGKILLed mid-rollout); then the same with
// one real draingate-sidecar process per pod, for as many pods as the machine holds, extrapolated and labelled.
// Prints the table, the checks, and one last line: `<pods> pods, <calls> calls, <throttled> throttled`.
// Exits 1 when a check fails. Needs `./run test` (or `pnpm run build` and test/k8s/build.sh) first.
//
//   node bench/scale/run.mjs [--pods 1000] [--sidecars 50] [--no-kill-leader] [--hc-interval 10s] [--json file]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checks, formatSeconds, table } from './report.mjs';
import { runScale } from './scenario.mjs';

const usage = `usage: node bench/scale/run.mjs [--pods 1000] [--sidecars 50 (0: none)] [--no-kill-leader]
       [--hc-interval 10s] [--poll-interval 5s] [--lease 15s,10s,2s] [--json results.json]`;
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      pods: { type: 'string', default: '1000' },
      sidecars: { type: 'string', default: '50' },
      'no-kill-leader': { type: 'boolean', default: false },
      'hc-interval': { type: 'string', default: '10s' },
      'poll-interval': { type: 'string', default: '5s' },
      lease: { type: 'string', default: '15s,10s,2s' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (e) {
  console.error(`${e.message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const seconds = (v, name) => {
  const m = /^(\d+)s$/.exec(v);
  if (!m) {
    console.error(`--${name} ${JSON.stringify(v)}: use whole seconds such as 10s\n${usage}`);
    process.exit(2);
  }
  return Number(m[1]) * 1000;
};
const [duration, renewDeadline, retryPeriod] = args.lease.split(',');
const options = {
  pods: Number(args.pods),
  sidecars: Number(args.sidecars),
  killLeader: !args['no-kill-leader'],
  hcIntervalMs: seconds(args['hc-interval'], 'hc-interval'),
  deregistrationDelayMs: 30_000,
  graceSeconds: 60,
  // The app drains until its evidence (the ALB bound after the API showed draining), then exits: here the kubelet
  // ends a deleted pod's containers 50 s after the deletion, within the 60 s grace period.
  terminationDelayMs: 50_000,
  pollInterval: args['poll-interval'],
  lease: { duration, renewDeadline, retryPeriod },
  albcLagMs: 2000,
  nodes: 10,
  timeoutMs: 15 * 60_000,
  log: (line) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${line}`),
};
if (!(options.pods >= 10) || !(options.sidecars >= 0)) {
  console.error(`--pods must be at least 10 and --sidecars at least 0\n${usage}`);
  process.exit(2);
}

const result = await runScale(options);
const { text, extrapolated } = table(result);
const c = result.controller;
console.log(
  `\nScale benchmark: ${c.pods}-replica Deployment, rolling update with maxSurge 25 %, 1 target group (ALB, health-check interval ${options.hcIntervalMs / 1000} s)`,
);
console.log(text);
if (c.kill) {
  console.log(
    `\nLeader ${c.kill.identity} SIGKILLed with ${c.kill.updated}/${c.pods} pods updated; ${c.kill.newLeader ?? 'nobody'} took over after ${formatSeconds(c.kill.takeoverMs)} (lease ${options.lease.duration}).`,
  );
}
if (c.late.n > 0) {
  console.log(
    `Evidence too late for the grace period: ${c.late.n} pods (${c.late.duringTakeover} whose target began draining from one poll before the leader's kill to the new leader's first poll, left to the new leader); deletion → LB target draining median ${formatSeconds(c.late.toLb.p50)} (max ${formatSeconds(c.late.toLb.max)}), target draining → evidence median ${formatSeconds(c.late.toEvidence.p50)} (max ${formatSeconds(c.late.toEvidence.max)}).`,
  );
}
if (c.apiRequestsByVerb)
  console.log(
    `API-server requests by verb (both replicas): ${Object.entries(c.apiRequestsByVerb)
      .sort((a, b) => b[1] - a[1])
      .map(([v, n]) => `${v} ${n}`)
      .join(', ')}.`,
  );
console.log(
  `Apps' view: ${c.served.sampled} deleted pods polled at /v1/pods/{ns}/{name}/status every second over both replicas: ${c.served.answers} answers (${c.served.byFollower} by a follower), ${c.served.deregisteredSeen} saw deregistered: true, ${c.served.errors} failed requests.`,
);
if (extrapolated) {
  console.log(
    `Extrapolated = the ${result.sidecar.pods} measured sidecars' calls × ${extrapolated.factor.toFixed(1)}, replayed through the account's bucket (no extra retries counted); memory = median RSS × ${c.pods}.`,
  );
}
const list = checks(result, options);
console.log('\nChecks (issue 14):');
for (const k of list) console.log(`  ${k.ok ? 'ok  ' : 'FAIL'} ${k.what}`);
if (args.json) writeFileSync(args.json, JSON.stringify({ options: { ...options, log: undefined }, result, checks: list }, null, 2));
console.log(`\n${c.pods} pods, ${c.calls} calls, ${c.throttled} throttled`);
process.exit(list.every((k) => k.ok) ? 0 : 1);
