// `pnpm bench:rollout`: every adapter through a rolling update and a scale-in behind a load-balancer model (an
// ALB of 3 HAProxy-backed nodes by default), at each deregistration lag, with load at a fixed rate; prints one
// table and, per deleted pod, when the API showed it draining, when the last LB node stopped routing to it and when
// it exited. Exits 1 if a draingate adapter lost a request, served fewer than --min-requests, or took longer than
// the bound to exit (single model: lag + longest request + 2 s; ALB/NLB: the last node's stop + longest request +
// 2.5 s), or if a naive adapter (express-bare, express-close) lost none at a lag of 1 s or more (the harness did
// not see failures).
//
//   node bench/rollout/run.mjs [--adapters a,b] [--scenarios rollout,scale-in] [--lags 2,7] [--rate 200]
//                              [--lb-model alb|nlb|single] [--shares 50,30,20] [--seed N]
//                              [--min-requests 0] [--without-readiness-gate] [--json file]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { adapters, findAdapters } from './adapters/index.mjs';
import { assertHaproxy } from './haproxy.mjs';
import { LB_MODEL_NAMES, lbModel, parseShares } from './lb-models.mjs';
import { describeModel, failureKinds, fmtS, podTable, table } from './report.mjs';
import { killActiveRuns, overBound, runScenario, scenarios } from './scenarios.mjs';
import { randomSeed } from './seeded.mjs';

const usage = `usage: node bench/rollout/run.mjs [--adapters ${adapters.map((a) => a.name).join(',')}]
       [--scenarios ${scenarios.join(',')}] [--lags 2,7 (seconds)] [--rate 200 (requests/s)]
       [--lb-model ${LB_MODEL_NAMES.join('|')} (default alb)] [--shares 50,30,20 (one per LB node)]
       [--seed N (the LB model's random draws; default: a new one, printed)]
       [--min-requests 0 (per run; a run lasts until every LB node let go)] [--without-readiness-gate] [--json results.json]`;

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      adapters: { type: 'string' },
      scenarios: { type: 'string' },
      lags: { type: 'string', default: '2,7' },
      rate: { type: 'string', default: '200' },
      'min-requests': { type: 'string', default: '0' },
      'without-readiness-gate': { type: 'boolean', default: false },
      'lb-model': { type: 'string', default: 'alb' },
      shares: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const number = (flag, s, min) => {
  const n = Number(s);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${flag}: "${s}" is not a number >= ${min} (e.g. --${flag} ${min === 0 ? 2 : min * 4})\n${usage}`);
    process.exit(2);
  }
  return n;
};
let chosen;
try {
  chosen = args.adapters ? findAdapters(list(args.adapters)) : adapters;
  for (const a of chosen) a.prepare?.();
} catch (error) {
  console.error(error.message);
  process.exit(2);
}
const chosenScenarios = args.scenarios ? list(args.scenarios) : scenarios;
for (const s of chosenScenarios)
  if (!scenarios.includes(s)) {
    console.error(`--scenarios: unknown scenario "${s}"; known: ${scenarios.join(', ')}`);
    process.exit(2);
  }
const lags = list(args.lags).map((s) => number('lags', s, 0) * 1000);
const rate = number('rate', args.rate, 10);
const minRequests = number('min-requests', args['min-requests'], 0);
const readinessGate = !args['without-readiness-gate'];
const seed = args.seed === undefined ? randomSeed() : number('seed', args.seed, 0);
let model;
try {
  model = lbModel(args['lb-model'], args.shares ? { shares: parseShares(args.shares) } : {});
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
const lbOverrides = args.shares ? { shares: model.shares } : undefined;

try {
  await assertHaproxy();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const haproxyVersion = execFileSync('haproxy', ['-v'], { encoding: 'utf8' })
  .split('\n')[0]
  .replace(/ - https.*/, '');
const cpus = os.cpus();
console.log(`rollout benchmark: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, ${haproxyVersion}`);
console.log(
  `${rate} req/s (1 in 10 takes 300 ms) over keep-alive connections, ≥ ${minRequests} requests per run; readiness gate ${readinessGate ? 'on' : 'OFF'}; seed ${seed}`,
);
console.log(`${describeModel(model)}\n`);

// Ctrl-C or a CI cancel: kill the run's HAProxy and pods (they would outlive this process) before exiting.
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    killActiveRuns();
    process.stderr.write(`\n${signal}: stopped; the run's HAProxy and pods were killed.\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });

const cells = [];
for (const adapter of chosen) for (const scenario of chosenScenarios) for (const lag of lags) cells.push({ adapter, scenario, lag });
const results = [];
const problems = [];
const t0 = Date.now();
for (const [i, cell] of cells.entries()) {
  const tag = `[${i + 1}/${cells.length}] ${cell.adapter.name} ${cell.scenario} lag ${cell.lag / 1000} s`;
  process.stderr.write(`${tag} …\n`);
  let r;
  try {
    r = await runScenario({ ...cell, rate, minRequests, readinessGate, lbModel: model.name, lb: lbOverrides, seed });
  } catch (error) {
    problems.push(`${tag}: ${error.stack ?? error}`);
    process.stderr.write(`${tag}: ERROR ${error.message}\n`);
    continue;
  }
  results.push(r);
  const stalled = r.stalls.length
    ? `; the harness stalled ${r.stalls.length}× ≥ 1 s, the longest ${fmtS(Math.max(...r.stalls.map((st) => st.ms)))} (at ${r.stalls.map((st) => fmtS(st.at)).join(', ')} after the change: every LB node silent at once)`
    : '';
  process.stderr.write(
    `${tag}: ${r.requests} requests${r.dropped ? ` (${r.dropped} more not sent: the harness stalled)` : ''}${stalled}, ${r.failed} failed (${failureKinds(r.failures)}), max SIGTERM→exit ${fmtS(r.maxSigtermToExit)}, last LB node let go ${fmtS(r.maxLastStop)} after deletion, rollout ${fmtS(r.totalTime)}${cell.adapter.draingate ? `, draining ended on ${r.pods.map((p) => p.evidence).join(', ')}` : ''}, seed ${r.seed}\n`,
  );
  if (cell.adapter.draingate) {
    if (r.failed) problems.push(`${tag}: ${r.failed} failed requests (${failureKinds(r.failures)})${stalled}`);
    if (r.requests < minRequests) problems.push(`${tag}: only ${r.requests} requests (< ${minRequests})`);
    for (const p of overBound(r))
      problems.push(
        `${tag}: ${p.name} SIGTERM→exit ${fmtS(p.sigtermToExit)} > ${model.name === 'single' ? 'deregistration lag + longest request + 2 s' : 'last LB node stop + longest request + 2.5 s'} = ${fmtS(p.bound)}`,
      );
  }
  // A naive adapter stops serving while the LB still routes to it: 0 failures means the harness is not seeing
  // failures, and then draingate's 0 would prove nothing.
  if (cell.adapter.naive && cell.lag >= 1000 && !r.failed)
    problems.push(`${tag}: 0 failed requests from an adapter that must lose some (the harness did not see failures)`);
}

console.log(table(results, { color: process.stdout.isTTY }));
console.log(
  `\n${results.length} runs in ${fmtS(Date.now() - t0)} (seed ${seed}). failures by kind: HTTP status from HAProxy (503: connection refused / no server, 502: connection reset or closed before the answer, 504: no answer in time), reset/refused/timeout: seen by the client (timeout: no answer in 10 s). p99: latency of the successful requests. delete→exit includes the preStop hook. LB let go: after the deletion, the moment the last LB node stopped routing new requests to the pod (max over the run's deleted pods; "-" while a node still routed at the end). exit − LB let go: the smallest margin of a pod's exit over that moment (negative: it exited while a node still routed to it). rollout time: from the change until the last deleted pod exited.`,
);
console.log(`\nPer deleted pod (ms after its deletion):\n${podTable(results)}`);
if (args.json)
  writeFileSync(
    args.json,
    JSON.stringify(
      results.map(({ pods, ...r }) => ({ ...r, pods: pods.map(({ output, ...p }) => p) })),
      null,
      2,
    ),
  );
if (problems.length) {
  console.log(`\nFAILED:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exitCode = 1;
} else if (results.some((r) => chosen.find((a) => a.name === r.adapter)?.draingate)) {
  console.log(
    `\ndraingate: 0 failed requests in every run, and every pod exited within ${model.name === 'single' ? 'lag + longest request + 2 s' : "the last LB node's stop + longest request + 2.5 s"}.`,
  );
}
