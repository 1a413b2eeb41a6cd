// The draingate demo: the same rolling update, run three times side by side, each behind its own load balancer
// modelled on an AWS ALB (bench/rollout/lb-models.mjs: 3 HAProxy-backed nodes with their own addresses and traffic
// shares, each health-checking like an ALBC target group and letting go of a deregistered pod after its own delay
// of 3–17 s; a controller emulation registers and deregisters pods 2 s late, as the AWS Load Balancer Controller
// can): once with the usual server.close() on SIGTERM, once with a fixed 5 s wait before it, once with
// @draingate/core's defaults. Prints a per-second timeline of what clients saw, the final table, and writes an SVG
// chart of requests per second by outcome. The three runs share one seed: their LB nodes behave alike.
//
//   ./run demo                                   (from the repository root; installs and builds first)
//   node bench/demo/demo.mjs [--chart file.svg] [--lag 2] [--seed N]
//
// It is the short version of the rollout benchmark: `pnpm bench:rollout` (bench/rollout/, see bench/README.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { demoAdapters } from '../rollout/adapters/index.mjs';
import { assertHaproxy } from '../rollout/haproxy.mjs';
import { LB_MODELS } from '../rollout/lb-models.mjs';
import { chartSvg, failureKinds, fmtS, table } from '../rollout/report.mjs';
import { killActiveRuns, runScenario } from '../rollout/scenarios.mjs';
import { randomSeed } from '../rollout/seeded.mjs';

const RATE = 200; // requests/s through each load balancer
const REPLICAS = 2;

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      chart: { type: 'string', default: fileURLToPath(new URL('../../.bench-out/demo-rollout.svg', import.meta.url)) },
      lag: { type: 'string', default: '2' },
      seed: { type: 'string' },
    },
  }));
} catch (error) {
  console.error(`${error.message}\nusage: node bench/demo/demo.mjs [--chart file.svg] [--lag seconds] [--seed N]`);
  process.exit(2);
}
const LAG = Number(args.lag) * 1000;
if (!Number.isFinite(LAG) || LAG < 0 || LAG > 20_000) {
  console.error(`--lag: "${args.lag}" is not a number of seconds in [0, 20] (e.g. --lag 2)`);
  process.exit(2);
}
const SEED = args.seed === undefined ? randomSeed() : Number(args.seed);
if (!Number.isInteger(SEED) || SEED < 0) {
  console.error(`--seed: "${args.seed}" is not a whole number >= 0 (e.g. --seed 42)`);
  process.exit(2);
}
const ALB = LB_MODELS.alb;
const LET_GO = ALB.propagation.deregister[1]; // the latest an ALB node lets go of a deregistered pod in this model
const EXIT_WAIT = LAG + LET_GO + 4000; // stop watching pods that still run after that (server.close(): SIGKILL at 30 s)
const chartPath = resolve(args.chart);

const tty = Boolean(process.stdout.isTTY);
const c = (code, s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s) => c(1, s);
const dim = (s) => c(2, s);
const red = (s) => c(31, s);
const green = (s) => c(32, s);

try {
  await assertHaproxy();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const runs = [
  { label: 'server.close() on SIGTERM', adapter: demoAdapters.naive },
  { label: 'wait 5 s, then close', adapter: demoAdapters.fixed },
  { label: 'draingate (defaults)', adapter: demoAdapters.draingate },
];

console.log(bold('draingate demo: a rolling update behind a model of an AWS ALB (3 HAProxy-backed LB nodes)'));
console.log(
  dim(
    `${REPLICAS} replicas, maxSurge 1, maxUnavailable 0; ${RATE} req/s each over keep-alive connections (1 in 10 takes 300 ms), spread ${ALB.shares.join('/')} % over the LB nodes;\n` +
      `the controller registers and deregisters pods ${LAG / 1000} s after Kubernetes changes them; each LB node health-checks every ${ALB.healthCheck.interval / 1000} s\n` +
      `and stops routing to a deregistered pod ${ALB.propagation.deregister[0] / 1000}–${LET_GO / 1000} s later, on its own schedule (seed ${SEED}).\n` +
      'Three runs side by side; each column is what the clients of one run saw, second by second.\n',
  ),
);

const COL = 34;
const header = `${'time'.padStart(5)}  ${runs.map((r) => r.label.padEnd(COL)).join('')}`;
console.log(bold(header));
console.log(dim(`${''.padStart(5)}  ${runs.map(() => 'ok  failed  events'.padEnd(COL)).join('')}`));

// Per-second rows (by send time): second s is printed once its requests have had 1.5 s to be answered.
const t0 = Date.now();
const loads = new Array(runs.length).fill(null);
const eventsBySecond = runs.map(() => new Map());
const done = runs.map(() => false);
let printed = 0;
let status = '';
const write = (line) => {
  if (tty && status) process.stdout.write('\r\x1b[K');
  process.stdout.write(`${line}\n`);
  if (tty && status) process.stdout.write(status);
};
const printRows = (until = Number.POSITIVE_INFINITY) => {
  if (loads.some((l) => !l)) return; // every run's load has started: rows are seconds since each one's start
  for (; printed < until; printed++) {
    const s = printed;
    if (until === Number.POSITIVE_INFINITY && loads.some((l) => Date.now() - l.startedAt < (s + 1) * 1000 + 1500)) break;
    const cells = loads.map((l, i) => {
      const from = l.startedAt + s * 1000;
      let ok = 0;
      let failed = 0;
      for (const r of l.records)
        if (r.at >= from && r.at < from + 1000) {
          if (r.outcome === 'ok') ok++;
          else failed++;
        }
      const ev = (eventsBySecond[i].get(s) ?? []).join(', ');
      const text = `${String(ok).padStart(3)}  ${String(failed).padStart(6)}  ${ev}`;
      const padded = text.length > COL - 1 ? `${text.slice(0, COL - 2)}… ` : text.padEnd(COL);
      return failed ? red(padded) : padded;
    });
    write(`${`${s}s`.padStart(5)}  ${cells.join('')}`);
  }
};
const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
let spin = 0;
const ticker = setInterval(() => {
  printRows();
  if (tty) {
    // e.g. "⠋ 23 s  old pods deleted: 1/2 1/2 1/2", cut to the terminal's width (a wrapped line cannot be redrawn)
    const deleted = runs.map((_, i) =>
      done[i] ? 'done' : `${[...eventsBySecond[i].values()].flat().filter((e) => e.startsWith('-')).length}/${REPLICAS}`,
    );
    const text = `${spinner[spin++ % spinner.length]} ${((Date.now() - t0) / 1000).toFixed(0)} s  old pods deleted: ${deleted.join('  ')}`;
    status = dim(text.slice(0, Math.max(10, (process.stdout.columns || 80) - 1)));
    process.stdout.write(`\r\x1b[K${status}`);
  }
}, 250);

// Ctrl-C: kill the three runs' HAProxy and pods (they would outlive this process) before exiting.
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    killActiveRuns();
    if (tty) process.stdout.write('\r\x1b[K');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });

let results;
try {
  // allSettled: when one run fails, the others still finish and clean up (stop their HAProxy and pods) before
  // the error ends the demo.
  const settled = await Promise.allSettled(
    runs.map((run, i) =>
      runScenario({
        adapter: run.adapter,
        scenario: 'rollout',
        replicas: REPLICAS,
        lag: LAG,
        rate: RATE,
        lbModel: 'alb',
        seed: SEED,
        minRequests: 0,
        warmup: 4000,
        tail: 2000,
        // server.close() waits for the LB's idle keep-alive connections (HAProxy keeps them 60 s, like an ALB),
        // so those pods run until Kubernetes' SIGKILL at 30 s: stop watching them once every LB node let go and
        // draingate had its chance.
        exitWait: EXIT_WAIT,
        onStart: (load) => {
          loads[i] = load;
        },
        onEvent: (e) => {
          // Relative to this run's load start, which is within a second of the others'.
          const s = Math.floor(e.t / 1000);
          const list = eventsBySecond[i].get(s) ?? [];
          const m = /^pod-(\d+) (\w+)(.*)$/.exec(e.text);
          const p = `p${m?.[1]}`;
          const short = { created: `+${p}`, Ready: `${p} ready`, deleted: `-${p}`, exited: `${p} exit${m?.[3] ?? ''}` };
          list.push(short[m?.[2]] ?? e.text);
          eventsBySecond[i].set(s, list);
        },
      }).finally(() => {
        done[i] = true;
      }),
    ),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  results = settled.map((r) => /** @type {PromiseFulfilledResult<any>} */ (r).value);
} finally {
  clearInterval(ticker);
  if (tty) process.stdout.write('\r\x1b[K');
  status = '';
}
printRows(Math.max(...results.map((r) => r.timeline.length)));
console.log(
  dim(
    '      events: +pN pod created; pN ready: Ready for Kubernetes (the LB found it healthy: readiness gate); -pN pod deleted (SIGTERM); pN exit',
  ),
);

console.log(`\n${bold('result')}`);
console.log(
  table(
    results.map((r, i) => ({ ...r, adapter: runs[i].label })),
    { color: tty },
  ),
);

if (results.some((r) => r.pods.some((p) => p.running)))
  console.log(
    dim(
      `running: not exited when the demo stopped watching, ${EXIT_WAIT / 1000} s after the last deletion. server.close() waits for the load balancer's idle\n` +
        "keep-alive connections (kept 60 s, like an ALB's), so Kubernetes SIGKILLs the pod when terminationGracePeriodSeconds (30 s) ends.",
    ),
  );

mkdirSync(dirname(chartPath), { recursive: true });
writeFileSync(
  chartPath,
  chartSvg({
    title: 'draingate demo: requests per second by outcome during a rolling update behind an ALB model (3 LB nodes)',
    subtitle: `${REPLICAS} replicas, maxSurge 1; controller lag ${LAG / 1000} s; nodes let go ${ALB.propagation.deregister[0] / 1000}–${LET_GO / 1000} s later; checks every ${ALB.healthCheck.interval / 1000} s; ${RATE} req/s; seed ${SEED}; dashed lines: pod events`,
    runs: results.map((r, i) => ({ label: runs[i].label, timeline: r.timeline, events: r.events })),
  }),
);

const [naive, fixed, dg] = results;
console.log('');
if (dg.failed === 0) {
  console.log(
    `${green(`draingate: 0 failed requests of ${dg.requests}`)}; server.close() lost ${naive.failed} (${failureKinds(naive.failures)}); ` +
      `the fixed 5 s wait lost ${fixed.failed}${fixed.failed ? ` (${failureKinds(fixed.failures)}): the last LB node let go ${fmtS(fixed.maxLastStop)} after the deletion` : ''}.`,
  );
  console.log(
    dim(
      `draingate's pods exited ${dg.pods.map((p) => fmtS(p.sigtermToExit)).join(', ')} after SIGTERM, the last LB node having let go of them ${dg.pods.map((p) => fmtS(p.lastStopAfter)).join(', ')} after the deletion; draining ended on ${[...new Set(dg.pods.map((p) => p.evidence))].join(', ')}. (seed ${SEED})`,
    ),
  );
} else {
  console.log(
    `${red(`draingate lost ${dg.failed} requests in this run`)} (${failureKinds(dg.failures)}, seed ${SEED}): see the timeline above.`,
  );
  process.exitCode = 1;
}
console.log(`chart: ${chartPath}`);
