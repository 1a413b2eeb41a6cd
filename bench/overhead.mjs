// Throughput of a trivial JSON route with and without draingate, side by side in one run:
// node:http, Express 5 and Fastify 5, each bare and with draingate installed.
//
//   node bench/overhead.mjs [--duration 5] [--rounds 5] [--connections 50]
//
// Each server runs in its own process (autocannon in this one), on 127.0.0.1. Variants are interleaved
// (bare, draingate, bare, ... for `rounds` rounds, order alternating) so that drift on a shared machine hits
// both alike; the table shows the median req/s over the rounds and draingate/bare.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const duration = arg('duration', 5);
const rounds = arg('rounds', 5);
const connections = arg('connections', 50);
const frameworks = ['node', 'express', 'fastify'];
const serverScript = fileURLToPath(new URL('./overhead-server.mjs', import.meta.url));

function startServer(framework, variant) {
  const child = spawn(process.execPath, [serverScript], {
    env: { ...process.env, FRAMEWORK: framework, VARIANT: variant, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
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

async function measure(framework, variant, seconds) {
  const { child, port } = await startServer(framework, variant);
  try {
    const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds, pipelining: 1 });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${framework}/${variant}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return result.requests.average;
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
  await measure(fw, 'bare', 1); // warm-up (JIT, page cache)
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['bare', 'draingate'] : ['draingate', 'bare'];
    for (const variant of order) {
      const rps = await measure(fw, variant, duration);
      results[fw][variant].push(rps);
      process.stderr.write(`  ${fw.padEnd(8)} ${variant.padEnd(10)} round ${r + 1}/${rounds}: ${Math.round(rps)} req/s\n`);
    }
  }
}

console.log(`\nnode ${process.version}, ${connections} connections, ${rounds} rounds × ${duration} s per variant, median req/s`);
console.log('| framework | bare | with draingate | draingate / bare |');
console.log('|---|---:|---:|---:|');
for (const fw of frameworks) {
  const bare = median(results[fw].bare);
  const dg = median(results[fw].draingate);
  console.log(`| ${fw === 'node' ? 'node:http' : fw} | ${Math.round(bare)} | ${Math.round(dg)} | ${(dg / bare).toFixed(3)} |`);
}
