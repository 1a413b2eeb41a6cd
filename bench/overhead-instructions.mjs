// Instructions per request that draingate adds to a trivial JSON route: node:http, Express 5 and Fastify 5,
// bare and with draingate, side by side in one run. valgrind counts the server process's instructions;
// autocannon drives it over real sockets from outside valgrind. Each measurement runs the server twice (warm-up
// only, then warm-up + N requests); the difference divided by N is the cost of one request, with start-up and
// JIT warm-up cancelled out.
//
// Two things make the count repeatable: V8's --predictable (no time-driven GC or JIT decisions), and one
// connection by default (with 10, how many requests each socket read batches depends on how busy the machine
// is, and identical runs differed by 3 %, more than the effect measured). Bare and draingate runs alternate (bare, draingate, bare, draingate, ...)
// so that drift hits both; the table shows the mean and the spread of the repeats.
//
//   node bench/overhead-instructions.mjs [--requests 6000] [--repeats 2] [--connections 1] [--only express,fastify]
//   (needs valgrind: apt-get install valgrind)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return value;
}
const requests = flag('requests', 6000);
const repeats = flag('repeats', 2);
const connections = flag('connections', 1);
const warmup = 3000;
const server = fileURLToPath(new URL('./overhead-server.mjs', import.meta.url));

async function instructions(framework, variant, amount) {
  const child = spawn(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      '--smc-check=all-non-file',
      process.execPath,
      '--single-threaded',
      // V8 without time-driven heuristics (GC scheduling, tiering): without it identical Fastify runs differed by
      // up to 11 %; with it by 0.1 %.
      '--predictable',
      server,
    ],
    { env: { ...process.env, FRAMEWORK: framework, VARIANT: variant, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    err += d;
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework}/${variant} did not start under valgrind:\n${err}`)), 120_000);
    child.stdout.setEncoding('utf8').once('data', (d) => {
      clearTimeout(timer);
      resolve(Number(d.trim()));
    });
  });
  const url = `http://127.0.0.1:${port}/`;
  for (const n of amount > 0 ? [warmup, amount] : [warmup]) {
    const r = await autocannon({ url, connections, amount: n, timeout: 60 });
    if (r.non2xx || r.errors) throw new Error(`${framework}/${variant}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const m = /I\s+refs:\s+([\d,]+)/.exec(err);
  if (!m) throw new Error(`no instruction count from valgrind:\n${err.slice(-2000)}`);
  return Number(m[1].replaceAll(',', ''));
}

async function perRequest(framework, variant) {
  // The two runs of a variant in parallel (2 cores); counts do not depend on timing.
  const [base, loaded] = await Promise.all([instructions(framework, variant, 0), instructions(framework, variant, requests)]);
  return (loaded - base) / requests;
}

console.log(
  `node ${process.version}, valgrind cachegrind, ${requests} requests after ${warmup} warm-up, ${connections} connection(s), ${repeats} alternating repeats`,
);
console.log('| framework | bare: instructions/request | with draingate | draingate / bare (mean) | range over repeats |');
console.log('|---|---:|---:|---:|---:|');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const fw of ['node', 'express', 'fastify'].filter((f) => !only || only.includes(f))) {
  const bare = [];
  const dg = [];
  for (let r = 0; r < repeats; r++) {
    bare.push(await perRequest(fw, 'bare'));
    dg.push(await perRequest(fw, 'draingate'));
  }
  // Ratio of each draingate run to the mean of the bare runs: the range shows how far one run can move.
  const ratios = dg.map((d) => d / mean(bare));
  const range = `${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`;
  console.log(
    `| ${fw === 'node' ? 'node:http' : fw} | ${Math.round(mean(bare))} | ${Math.round(mean(dg))} | ${(mean(dg) / mean(bare)).toFixed(3)} | ${range} |`,
  );
}
