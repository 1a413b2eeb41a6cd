// Cost of draingate on a trivial JSON route, side by side in one run: node:http, Express 5 and Fastify 5,
// each bare and with draingate installed.
//
//   node bench/overhead.mjs [--requests 100000] [--rounds 5] [--connections 50]
//
// Each server runs in its own process (autocannon in this one), on 127.0.0.1, and serves a fixed number of
// requests per round. The headline is the server's CPU time per request (process.cpuUsage() before and after,
// over IPC): it counts only the time the server ran, so other load on a shared machine barely moves it, where
// req/s swings by tens of percent. req/s is shown too. Variants are interleaved (bare, draingate, ..., order
// alternating) and the table shows medians over the rounds.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const amount = arg('requests', 100_000);
const rounds = arg('rounds', 5);
const connections = arg('connections', 50);
const frameworks = ['node', 'express', 'fastify'];
const serverScript = fileURLToPath(new URL('./overhead-server.mjs', import.meta.url));

function startServer(framework, variant) {
  const child = spawn(process.execPath, [serverScript], {
    env: { ...process.env, FRAMEWORK: framework, VARIANT: variant, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework}/${variant} did not start`)), 15_000);
    child.stdout.setEncoding('utf8').once('data', (d) => {
      clearTimeout(timer);
      resolve({ child, port: Number(d.trim()) });
    });
    child.once('exit', (code) => reject(new Error(`${framework}/${variant} exited with ${code}`)));
  });
}

function cpuOf(child) {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m.cpuMicros));
    child.send('cpu');
  });
}

async function measure(framework, variant, requests) {
  const { child, port } = await startServer(framework, variant);
  try {
    const before = await cpuOf(child);
    const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, amount: requests, pipelining: 1 });
    const after = await cpuOf(child);
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${framework}/${variant}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    const served = result.requests.total;
    return { cpuPerRequest: (after - before) / served, rps: result.requests.average };
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = {};
for (const fw of frameworks) {
  results[fw] = { bare: [], draingate: [] };
  await measure(fw, 'bare', Math.min(amount, 20_000)); // warm-up (JIT, page cache)
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['bare', 'draingate'] : ['draingate', 'bare'];
    for (const variant of order) {
      const m = await measure(fw, variant, amount);
      results[fw][variant].push(m);
      process.stderr.write(
        `  ${fw.padEnd(8)} ${variant.padEnd(10)} round ${r + 1}/${rounds}: ${m.cpuPerRequest.toFixed(2)} µs CPU/request, ${Math.round(m.rps)} req/s\n`,
      );
    }
  }
}

console.log(`\nnode ${process.version}, ${connections} connections, ${rounds} rounds × ${amount} requests per variant, medians`);
console.log('| framework | bare: µs CPU/request | draingate: µs CPU/request | draingate / bare (CPU) | bare req/s | draingate req/s |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const fw of frameworks) {
  const cpu = (v) => median(results[fw][v].map((m) => m.cpuPerRequest));
  const rps = (v) => median(results[fw][v].map((m) => m.rps));
  console.log(
    `| ${fw === 'node' ? 'node:http' : fw} | ${cpu('bare').toFixed(2)} | ${cpu('draingate').toFixed(2)} | ${(cpu('draingate') / cpu('bare')).toFixed(3)} | ${Math.round(rps('bare'))} | ${Math.round(rps('draingate'))} |`,
  );
}
