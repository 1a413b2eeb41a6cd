// How fast each example reacts to SIGTERM: signal → first /readyz 503 (readiness flip latency), and
// signal → process exit, with the acceptance settings of issue 2 (min 1 s, max 3 s, drain 5 s, grace 15 s;
// no LB in front, so draining ends at maxDelay). Side by side for node:http, Express and Fastify.
//
//   node bench/shutdown-timing.mjs [--runs 10]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const i = process.argv.indexOf('--runs');
const runs = i > 0 ? Number(process.argv[i + 1]) : 10;
const examples = ['node-http', 'express', 'fastify']
  .map((name) => ({ name, script: fileURLToPath(new URL(`../examples/${name}/server.mjs`, import.meta.url)) }))
  .filter((e) => existsSync(e.script));
const env = {
  ...process.env,
  PORT: '0',
  HOST: '127.0.0.1',
  DRAINGATE_MIN_DELAY: '1s',
  DRAINGATE_MAX_DELAY: '3s',
  DRAINGATE_DRAIN_TIMEOUT: '5s',
  DRAINGATE_GRACE_PERIOD: '15s',
};
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function readyz(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', agent, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
  });
}

async function once(script) {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((r) => child.once('exit', (code) => r({ code, at: performance.now() })));
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d;
      const m = /"event":"listening","port":(\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  if ((await readyz(port)) !== 200) throw new Error('not ready');
  const t0 = performance.now();
  child.kill('SIGTERM');
  let flip = null;
  for (let n = 0; n < 2000 && flip === null; n++) {
    if ((await readyz(port)) === 503) flip = performance.now() - t0;
  }
  const { code, at } = await exited;
  agent.destroy();
  return { flip, exit: at - t0, code };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const f = (n) => n.toFixed(1);

console.log(`node ${process.version}, ${runs} runs each; times in ms after SIGTERM`);
console.log('| example | flip to 503: min / median / max | exit: min / median / max | exit codes |');
console.log('|---|---|---|---|');
for (const e of examples) {
  const results = [];
  for (let r = 0; r < runs; r++) results.push(await once(e.script));
  const flip = stats(results.map((x) => x.flip));
  const exit = stats(results.map((x) => x.exit));
  const codes = [...new Set(results.map((x) => x.code))].join(',');
  console.log(
    `| ${e.name} | ${f(flip.min)} / ${f(flip.median)} / ${f(flip.max)} | ${f(exit.min)} / ${f(exit.median)} / ${f(exit.max)} | ${codes} |`,
  );
}
