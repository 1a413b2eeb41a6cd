// CPU time per request that draingate adds to a trivial JSON route, measured the way users load a server:
// node:http, Express 5 and Fastify 5, each bare and with draingate (metrics on, the default, and off).
//
//   node bench/overhead.mjs [--requests 50000] [--rounds 7] [--connections 50] [--only node,express,fastify,hono,koa]
//
// Each server runs in its own fresh process (autocannon in this one), on 127.0.0.1, and serves a fixed number of
// requests per round. The figure is the server's CPU time per request (process.cpuUsage() before and after, over
// IPC): GC and JIT included, and it counts only the time the server ran, so other load on a shared machine moves
// it less than req/s. Every round runs bare, draingate, draingate with metrics off and bare again (order rotated
// each round); each round gives a ratio to that round's first bare, and bare-again / bare is the noise floor.
// The table shows the median ratio over rounds and the range of the middle rounds (all but the lowest and the
// highest when there are 5 or more).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { FRAMEWORK_NAMES, intFlag, listFlag, warmUp } from './overhead-instructions.mjs';

const serverScript = fileURLToPath(new URL('./overhead-server.mjs', import.meta.url));

/**
 * A fresh bench/overhead-server.mjs process; resolves to it and its port. `stderr: 'ignore'` for servers that log
 * while they start (Next.js); `startMs`: how long it may take to print its port.
 */
export function startServer(framework, variant, metrics = 'on', { stderr = 'inherit', startMs = 15_000 } = {}) {
  const child = spawn(process.execPath, [serverScript], {
    env: { ...process.env, FRAMEWORK: framework, VARIANT: variant, METRICS: metrics, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', stderr, 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework}/${variant} did not start`)), startMs);
    child.stdout.setEncoding('utf8').once('data', (d) => {
      clearTimeout(timer);
      resolve({ child, port: Number(d.trim()) });
    });
    child.once('exit', (code) => reject(new Error(`${framework}/${variant} exited with ${code}`)));
  });
}

/** The server process's CPU time so far (µs, every thread), asked over IPC. */
export function cpuOf(child) {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m.cpuMicros));
    child.send('cpu');
  });
}

/** One fresh server process: warm-up, then `requests` measured. */
export async function cpuPerRequest({ framework, variant, metrics = 'on', connections, requests, warmup }) {
  const { child, port } = await startServer(framework, variant, metrics);
  try {
    const url = `http://127.0.0.1:${port}/`;
    // In runs on new connections each: the measured run's new connections then deoptimise nothing (see warmUp()).
    await warmUp((amount) => autocannon({ url, connections, amount }), warmup);
    const before = await cpuOf(child);
    const result = await autocannon({ url, connections, amount: requests });
    const after = await cpuOf(child);
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${framework}/${variant}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { cpuMicros: (after - before) / result['2xx'], rps: result.requests.average };
  } finally {
    child.kill('SIGKILL');
  }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Median and range of the ratios, trimmed of the lowest and highest when there are 5 or more. */
export function spread(ratios) {
  const s = [...ratios].sort((a, b) => a - b);
  const t = s.length >= 5 ? s.slice(1, -1) : s;
  return { median: median(s), low: t[0], high: t[t.length - 1] };
}

const ROUND = [
  { label: 'bare', variant: 'bare', metrics: 'on' },
  { label: 'draingate', variant: 'draingate', metrics: 'on' },
  { label: 'draingate, metrics off', variant: 'draingate', metrics: 'off' },
  { label: 'bare again', variant: 'bare', metrics: 'on' },
];

/** For each framework: per variant, the CPU µs/request of every round and the ratios to the round's bare. */
export async function measureCpu({ frameworks, connections, requests, warmup, rounds, log }) {
  const out = {};
  for (const framework of frameworks) {
    const rows = Object.fromEntries(ROUND.map((v) => [v.label, { cpu: [], rps: [], ratios: [] }]));
    for (let r = 0; r < rounds; r++) {
      const order = ROUND.map((_, i) => ROUND[(i + r) % ROUND.length]);
      const round = {};
      for (const v of order) {
        round[v.label] = await cpuPerRequest({ framework, ...v, connections, requests, warmup });
        log?.(
          `  ${framework.padEnd(8)} ${v.label.padEnd(23)} round ${r + 1}/${rounds}: ${round[v.label].cpuMicros.toFixed(2)} µs CPU/request, ${Math.round(round[v.label].rps)} req/s\n`,
        );
      }
      for (const v of ROUND) {
        rows[v.label].cpu.push(round[v.label].cpuMicros);
        rows[v.label].rps.push(round[v.label].rps);
        rows[v.label].ratios.push(round[v.label].cpuMicros / round.bare.cpuMicros);
      }
    }
    out[framework] = rows;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const frameworks = listFlag('only', ['node', 'express', 'fastify', 'hono', 'koa']);
  const requests = intFlag('requests', 50_000);
  const rounds = intFlag('rounds', 7);
  const connections = intFlag('connections', 50);
  const warmup = intFlag('warmup', 20_000);
  const result = await measureCpu({ frameworks, connections, requests, warmup, rounds, log: (s) => process.stderr.write(s) });
  console.log(
    `\nnode ${process.version}, ${connections} connections, ${rounds} rounds × ${requests} requests per variant after ${warmup} warm-up`,
  );
  console.log('| framework | variant | µs CPU/request (median) | ratio to bare (median) | ratio range | req/s (median) |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const fw of frameworks)
    for (const v of ROUND) {
      const row = result[fw][v.label];
      const s = spread(row.ratios);
      console.log(
        `| ${FRAMEWORK_NAMES[fw]} | ${v.label} | ${median(row.cpu).toFixed(2)} | ${s.median.toFixed(3)} | ${s.low.toFixed(3)}–${s.high.toFixed(3)} | ${Math.round(median(row.rps))} |`,
      );
    }
}
