// Instructions per request that draingate adds to a trivial JSON route: node:http, Express 5 and Fastify 5,
// bare and with draingate (metrics on, the default, and off), at 1 and at 50 keep-alive connections.
//
//   node bench/overhead-instructions.mjs [--connections 1,50] [--requests 3000] [--warmup 20000] [--repeats 1]
//                                        [--only node,express,fastify,hono,koa] [--no-predictable]
//   (needs valgrind: apt-get install valgrind)
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
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/** Self cost per function name from a callgrind dump written with --compress-strings=no --compress-pos=no. */
function selfCosts(file) {
  const costs = new Map();
  let fn = '';
  let afterCalls = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) fn = line.slice(3);
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
      serverScript,
    ],
    {
      env: { ...process.env, FRAMEWORK: framework, VARIANT: variant, METRICS: metrics, NODE_ENV: 'production', DG_UNDER_VALGRIND: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
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
    if (r.non2xx || r.errors) throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    await run('callgrind_control', ['--dump', String(child.pid)]);
    const costs = selfCosts(`${out}.1`);
    if (process.env.DG_KEEP_CALLGRIND)
      copyFileSync(`${out}.1`, `${process.env.DG_KEEP_CALLGRIND}.${framework}-${variant}-${metrics}-${connections}`);
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
export const variantsOf = (framework) => (framework === 'fastify' ? [...VARIANTS, HOOK] : VARIANTS);

/**
 * For each framework, variant and connection count: the mean over `repeats` of each instruction figure.
 * Variants alternate (bare, draingate, ..., order reversed on each repeat); two processes run at a time.
 */
export async function measureInstructions({ frameworks, connections, requests, warmup, repeats, predictable = true, log }) {
  const jobs = [];
  for (const framework of frameworks)
    for (const c of connections)
      for (let r = 0; r < repeats; r++)
        for (const v of r % 2 ? [...variantsOf(framework)].reverse() : variantsOf(framework))
          jobs.push({ framework, connections: c, ...v, repeat: r });
  const results = new Map();
  const next = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      let m;
      try {
        m = await instructionsPerRequest({ ...job, requests, warmup, predictable });
      } catch (error) {
        // One failed measurement (e.g. connection errors under valgrind) leaves a gap, not a lost hour.
        log?.(`  ${job.framework} ${job.label} ${job.connections} conn: failed: ${error.message.split('\n')[0]}\n`);
        continue;
      }
      log?.(
        `  ${job.framework.padEnd(8)} ${job.label.padEnd(23)} ${String(job.connections).padStart(2)} conn: ${Math.round(m.mutator)} instructions/request (+ GC ${Math.round(m.gc)}, JIT ${Math.round(m.jit)})\n`,
      );
      const key = `${job.framework}|${job.label}|${job.connections}`;
      results.set(key, [...(results.get(key) ?? []), m]);
    }
  };
  await Promise.all([next(), next()]);
  const summary = new Map();
  for (const [key, ms] of results) {
    summary.set(key, Object.fromEntries(['total', 'gc', 'jit', 'mutator'].map((k) => [k, mean(ms.map((m) => m[k]))])));
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
  const connections = listFlag('connections', ['1', '50']).map(Number);
  const frameworks = listFlag('only', ['node', 'express', 'fastify', 'hono', 'koa']);
  const requests = intFlag('requests', 3000);
  const warmup = intFlag('warmup', 20_000);
  const repeats = intFlag('repeats', 1);
  const predictable = !process.argv.includes('--no-predictable');
  const log = (s) => process.stderr.write(s);
  const summary = await measureInstructions({ frameworks, connections, requests, warmup, repeats, predictable, log });
  console.log(
    `\nnode ${process.version}, callgrind, ${requests} requests after ${warmup} warm-up, ${predictable ? '' : 'no '}--predictable, mean of ${repeats} repeat(s); ratio = mutator / bare's`,
  );
  console.log('| framework | variant | connections | mutator instructions/request | ratio | GC | JIT | total |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const fw of frameworks)
    for (const c of connections)
      for (const v of variantsOf(fw)) {
        const m = summary.get(`${fw}|${v.label}|${c}`);
        const bare = summary.get(`${fw}|bare|${c}`);
        if (!m || !bare) {
          console.log(`| ${FRAMEWORK_NAMES[fw]} | ${v.label} | ${c} | failed | | | | |`);
          continue;
        }
        console.log(
          `| ${FRAMEWORK_NAMES[fw]} | ${v.label} | ${c} | ${Math.round(m.mutator)} | ${(m.mutator / bare.mutator).toFixed(3)} | ${Math.round(m.gc)} | ${Math.round(m.jit)} | ${Math.round(m.total)} |`,
        );
      }
}
