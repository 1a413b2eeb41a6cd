// Instructions per request that draingate adds to a trivial JSON route: node:http, Express 5 and Fastify 5,
// bare and with draingate, side by side in one run. valgrind counts the server process's instructions
// (repeatable within ~1 %, whatever else the machine does, unlike req/s); autocannon drives it over real
// sockets from outside valgrind. Each variant runs twice (warm-up only, then warm-up + N requests); the
// difference divided by N is the cost of one request, startup and JIT warm-up cancelled out.
//
//   node bench/overhead-instructions.mjs [--requests 8000] [--only express,fastify]   (needs valgrind)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const i = process.argv.indexOf('--requests');
const requests = i > 0 ? Number(process.argv[i + 1]) : 8000;
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
    const r = await autocannon({ url, connections: 10, amount: n, timeout: 60 });
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

console.log(`node ${process.version}, valgrind cachegrind, ${requests} requests after ${warmup} warm-up, 10 connections`);
console.log('| framework | bare: instructions/request | with draingate | draingate / bare |');
console.log('|---|---:|---:|---:|');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
for (const fw of ['node', 'express', 'fastify'].filter((f) => !only || only.includes(f))) {
  const bare = await perRequest(fw, 'bare');
  const dg = await perRequest(fw, 'draingate');
  console.log(`| ${fw === 'node' ? 'node:http' : fw} | ${Math.round(bare)} | ${Math.round(dg)} | ${(dg / bare).toFixed(3)} |`);
}
