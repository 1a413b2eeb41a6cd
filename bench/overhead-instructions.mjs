// Instructions per request that draingate adds to a trivial JSON route: node:http, Express 5 and Fastify 5,
// bare and with draingate (metrics on, the default, and off), at 1 and at 50 keep-alive connections.
//
//   node bench/overhead-instructions.mjs [--connections 1,50] [--requests 3000] [--warmup 20000] [--repeats 1]
//                                        [--only node,express,fastify,hono,koa] [--variants bare,draingate,...]
//                                        [--parallel 2] [--record runs.jsonl] [--no-predictable]
//   node bench/overhead-instructions.mjs --summarize runs.jsonl [more.jsonl ...]
//   (needs valgrind: apt-get install valgrind)
//
// --variants picks among bare, draingate-on, draingate-off (metrics on / off) and hook (Fastify's empty hook).
// --record appends each measurement as a JSON line; --summarize prints the table of recorded measurements (mean
// and range over the runs of each variant), e.g. bare runs of an earlier record pooled with a later one's.
//
// valgrind's callgrind counts the server process's instructions while autocannon drives it over real sockets from
// outside valgrind. One process per measurement, counting only a window of requests: start-up and warm-up run
// uninstrumented (fast); after start-up the server does one full GC (the heap grows to its working size while
// modules load, and the mark-compacts of that growth would otherwise fall in the first thousands of requests), then
// serves the warm-up requests (JIT; in 4 runs on new connections each, see warmUp()), and callgrind counts the next
// N requests (callgrind_control --instr=on, then --dump). So the window holds the steady state: the JavaScript, the
// runtime and the scavenges that the requests' allocation causes. A mark-compact (~80 M instructions, ~20,000 per
// request in a 4,000-request window) falls into a window or not, so in a total it swamps a few-percent difference
// (identical Fastify runs differed by 13 %); its amortised cost shows in bench/overhead.mjs's CPU time. GC and JIT
// work inside the window are shown apart, and the compared figure ("mutator") leaves them out. V8 runs with
// --single-threaded (all work on the main thread) and --predictable (no clock-driven GC or tiering decisions:
// repeats of one variant then agree within ~1 % at 50 connections; --no-predictable to compare without it).
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const run = promisify(execFile);
const serverScript = fileURLToPath(new URL('./overhead-server.mjs', import.meta.url));

/** V8 heap (GC) and compiler functions, by their C++ names; everything else is the mutator. */
const GC =
  /v8::internal::(Heap::|Scavenge|MarkCompact|MinorMarkCompact|Marking|MainMarking|ConcurrentMarking|IncrementalMarking|Sweeper|Evacuat|FullEvacuator|LiveObject|RecordMigrated|BodyDescriptor|MarkingBarrier|PagedSpace|NewSpace|SemiSpace|MemoryChunk|MemoryAllocator|RootScavenge|ArrayBufferSweeper|GlobalHandles|MarkingWorklist|\w*Visitor)|heap::base::|cppgc::/;
const JIT =
  /v8::internal::(compiler::|maglev::|baseline::|Compiler|Parser|Scanner|PreParser|AstValueFactory|BytecodeGenerator|interpreter::Bytecode|Zone|OptimizingCompile|TurbofanCompilationJob|CodeGenerator|Assembler|RegisterAllocat|InstructionSelector)/;

/**
 * Self cost per function name from a callgrind dump written with --compress-strings=no --compress-pos=no;
 * `rename` maps each function name as read (bench/overhead-callgrind-js.mjs names JIT code by its address).
 */
export function selfCosts(file, rename = null) {
  const costs = new Map();
  let fn = '';
  let afterCalls = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) fn = rename ? rename(line.slice(3)) : line.slice(3);
    else if (line.startsWith('calls=')) afterCalls = true;
    else if (/^\d/.test(line)) {
      // The line after calls= is the callee's inclusive cost, not this function's own.
      if (afterCalls) afterCalls = false;
      else costs.set(fn, (costs.get(fn) ?? 0) + Number(line.split(' ')[1]));
    }
  }
  return costs;
}

/**
 * Instructions per request of one server process: { total, gc, jit, mutator }.
 * variant: bare | draingate | hook (Fastify only); metrics: on | off.
 */
export async function instructionsPerRequest({ framework, variant, metrics = 'on', connections, requests, warmup, predictable = true }) {
  const dir = mkdtempSync(join(tmpdir(), 'dg-callgrind-'));
  const out = join(dir, 'callgrind.out');
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--compress-strings=no',
      '--compress-pos=no',
      `--callgrind-out-file=${out}`,
      '--smc-check=all-non-file',
      process.execPath,
      // One thread: every instruction of the process is on the main thread (valgrind serialises threads anyway).
      '--single-threaded',
      '--expose-gc',
      ...(predictable ? ['--predictable'] : []),
      // DG_KEEP_CALLGRIND: V8's map of JIT code addresses to JavaScript names (/tmp/perf-PID.map), kept beside the
      // callgrind file, so that its per-function costs can be read by JavaScript function (bench/overhead-callgrind-js.mjs).
      ...(process.env.DG_KEEP_CALLGRIND ? ['--perf-basic-prof'] : []),
      serverScript,
    ],
    {
      env: { ...process.env, FRAMEWORK: framework, VARIANT: variant, METRICS: metrics, NODE_ENV: 'production', DG_UNDER_VALGRIND: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // V8 writes an isolate-*.log into the working directory with --perf-basic-prof: the temporary one.
      cwd: dir,
    },
  );
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    err += d;
  });
  const what = `${framework}/${variant}/metrics ${metrics}/${connections} connection(s)`;
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} did not start under valgrind:\n${err}`)), 600_000);
      child.once('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${err}`)));
      child.stdout.setEncoding('utf8').once('data', (d) => {
        clearTimeout(timer);
        resolve(Number(d.trim()));
      });
    });
    const load = (amount) => autocannon({ url: `http://127.0.0.1:${port}/`, connections, amount, timeout: 300 });
    // A full GC first: the heap grows to its working size during start-up (module loading), and the
    // mark-compacts that growth triggers would otherwise fall in the first thousands of requests.
    await new Promise((resolve) => {
      child.once('message', resolve);
      child.send('gc');
    });
    await warmUp(load, warmup);
    await run('callgrind_control', ['--instr=on', String(child.pid)]);
    const r = await load(requests);
    if (r.non2xx || r.errors) throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors (${r.timeouts} timeouts)`);
    await run('callgrind_control', ['--dump', String(child.pid)]);
    const costs = selfCosts(`${out}.1`);
    if (process.env.DG_KEEP_CALLGRIND) {
      const kept = `${process.env.DG_KEEP_CALLGRIND}.${framework}-${variant}-${metrics}-${connections}-${child.pid}`;
      copyFileSync(`${out}.1`, kept);
      renameSync(`/tmp/perf-${child.pid}.map`, `${kept}.map`);
    }
    let total = 0;
    let gc = 0;
    let jit = 0;
    for (const [name, ir] of costs) {
      total += ir;
      if (GC.test(name)) gc += ir;
      else if (JIT.test(name)) jit += ir;
    }
    const served = r['2xx'];
    return { total: total / served, gc: gc / served, jit: jit / served, mutator: (total - gc - jit) / served };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * JIT warm-up, in WARMUP_RUNS load runs, each on new connections. Node's socket and stream code is optimised for the
 * sockets of the first run; the first new connection after that deoptimises it ("wrong map", ~25 functions) and it
 * is recompiled. Measured right after a single warm-up run, the window held that recompilation and the unoptimised
 * code that ran meanwhile, for every variant (a few thousand instructions per request at 1 connection). From the
 * third run on, no function deoptimises or compiles (`--trace-deopt --trace-opt`).
 */
export const WARMUP_RUNS = 4;
export async function warmUp(load, amount) {
  for (let i = 0; i < WARMUP_RUNS; i++) await load(Math.ceil(amount / WARMUP_RUNS));
}

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const VARIANTS = [
  { label: 'bare', variant: 'bare', metrics: 'on' },
  { label: 'draingate', variant: 'draingate', metrics: 'on' },
  { label: 'draingate, metrics off', variant: 'draingate', metrics: 'off' },
];
/** Fastify only, a reference without draingate: one empty onRequest hook (the plugin's mechanism). */
export const HOOK = { label: 'empty onRequest hook, no draingate', variant: 'hook', metrics: 'on' };
/** Only when asked for (`--variants imported`): bare, with the draingate package loaded but not used. */
export const IMPORTED = { label: 'bare, draingate imported', variant: 'imported', metrics: 'on', onlyWhenAsked: true };
export const variantsOf = (framework) => [
  ...VARIANTS,
  ...(framework === 'fastify' ? [HOOK] : []),
  ...(framework === 'next' ? [] : [IMPORTED]),
];

/**
 * For each framework, variant and connection count: the mean over `repeats` of each instruction figure.
 * Variants alternate (bare, draingate, ..., order reversed on each repeat); `parallel` processes run at a time.
 */
export async function measureInstructions({
  frameworks,
  connections,
  requests,
  warmup,
  repeats,
  predictable = true,
  log,
  variants = null,
  parallel = 2,
  record = null,
}) {
  // Repeat by repeat: a run cut short has measured every variant as often as the others, give or take one.
  const jobs = [];
  for (let r = 0; r < repeats; r++)
    for (const framework of frameworks) {
      const vs = variantsOf(framework).filter((v) =>
        variants === null ? !v.onlyWhenAsked : variants.includes(v.variant === 'draingate' ? `draingate-${v.metrics}` : v.variant),
      );
      for (const c of connections)
        for (const v of r % 2 ? [...vs].reverse() : vs) jobs.push({ framework, connections: c, ...v, repeat: r, tries: 0 });
    }
  const runs = [];
  const next = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      let m;
      try {
        m = await instructionsPerRequest({ ...job, requests, warmup, predictable });
      } catch (error) {
        // A failed measurement (e.g. connection errors under valgrind on a loaded machine) is tried once more, at
        // the end of the queue; then it leaves a gap, not a lost hour.
        log?.(`  ${job.framework} ${job.label} ${job.connections} conn: failed: ${error.message.split('\n')[0]}\n`);
        if (job.tries++ === 0) jobs.push(job);
        continue;
      }
      log?.(
        `  ${job.framework.padEnd(8)} ${job.label.padEnd(23)} ${String(job.connections).padStart(2)} conn: ${Math.round(m.mutator)} instructions/request (+ GC ${Math.round(m.gc)}, JIT ${Math.round(m.jit)})\n`,
      );
      const run = { framework: job.framework, label: job.label, connections: job.connections, requests, warmup, predictable, ...m };
      runs.push(run);
      if (record) appendFileSync(record, `${JSON.stringify({ ...run, at: new Date().toISOString() })}\n`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, next));
  return summarize(runs);
}

/** Per `framework|label|connections`: the mean of each figure over the runs, the runs' mutator figures and their count. */
export function summarize(runs) {
  const byKey = new Map();
  for (const run of runs) {
    const key = `${run.framework}|${run.label}|${run.connections}`;
    byKey.set(key, [...(byKey.get(key) ?? []), run]);
  }
  const summary = new Map();
  for (const [key, ms] of byKey) {
    summary.set(key, {
      ...Object.fromEntries(['total', 'gc', 'jit', 'mutator'].map((k) => [k, mean(ms.map((m) => m[k]))])),
      mutators: ms.map((m) => m.mutator),
    });
  }
  return summary;
}

export function listFlag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1].split(',');
}

export function intFlag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return value;
}

export const FRAMEWORK_NAMES = {
  node: 'node:http',
  express: 'Express 5',
  fastify: 'Fastify 5',
  'nest-express': 'Nest 11 on Express',
  'nest-fastify': 'Nest 11 on Fastify',
  hono: 'Hono 4 (attach)',
  koa: 'Koa 3 (attach)',
  next: 'Next.js 16 (startNext)',
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = process.argv.indexOf('--summarize');
  let summary;
  let frameworks;
  let connections;
  let heading;
  if (s >= 0) {
    const runs = process.argv
      .slice(s + 1)
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean))
      .map((line) => JSON.parse(line));
    summary = summarize(runs);
    frameworks = Object.keys(FRAMEWORK_NAMES).filter((fw) => runs.some((r) => r.framework === fw));
    connections = [...new Set(runs.map((r) => r.connections))].sort((a, b) => a - b);
    const settings = [
      ...new Set(runs.map((r) => `${r.requests} requests after ${r.warmup} warm-up, ${r.predictable ? '' : 'no '}--predictable`)),
    ];
    heading = `callgrind, ${settings.join(' / ')}, ${runs.length} recorded runs`;
  } else {
    connections = listFlag('connections', ['1', '50']).map(Number);
    frameworks = listFlag('only', ['node', 'express', 'fastify', 'hono', 'koa']);
    const requests = intFlag('requests', 3000);
    const warmup = intFlag('warmup', 20_000);
    const repeats = intFlag('repeats', 1);
    const predictable = !process.argv.includes('--no-predictable');
    const variants = listFlag('variants', null);
    const parallel = intFlag('parallel', 2);
    const r = process.argv.indexOf('--record');
    const record = r < 0 ? null : process.argv[r + 1];
    const log = (s) => process.stderr.write(s);
    summary = await measureInstructions({
      frameworks,
      connections,
      requests,
      warmup,
      repeats,
      predictable,
      log,
      variants,
      parallel,
      record,
    });
    heading = `callgrind, ${requests} requests after ${warmup} warm-up, ${predictable ? '' : 'no '}--predictable, ${repeats} repeat(s)`;
  }
  console.log(`\nnode ${process.version}, ${heading}; mean over the runs, ratio = mutator / bare's mean (range: each run / bare's mean)`);
  console.log('| framework | variant | connections | runs | mutator instructions/request | ratio | range | GC | JIT | total |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const fw of frameworks)
    for (const c of connections)
      for (const v of variantsOf(fw)) {
        const m = summary.get(`${fw}|${v.label}|${c}`);
        const bare = summary.get(`${fw}|bare|${c}`);
        if (!m && v.onlyWhenAsked) continue;
        if (!m || !bare) {
          console.log(`| ${FRAMEWORK_NAMES[fw]} | ${v.label} | ${c} | 0 | | | | | | |`);
          continue;
        }
        const ratios = m.mutators.map((x) => x / bare.mutator);
        console.log(
          `| ${FRAMEWORK_NAMES[fw]} | ${v.label} | ${c} | ${m.mutators.length} | ${Math.round(m.mutator)} | ${(m.mutator / bare.mutator).toFixed(3)} | ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)} | ${Math.round(m.gc)} | ${Math.round(m.jit)} | ${Math.round(m.total)} |`,
        );
      }
}
