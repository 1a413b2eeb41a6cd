// The draingate demo: one service shut down under load, twice — once with the usual server.close() on
// SIGTERM, once with @draingate/core — behind a small load-balancer emulation that acts like an AWS ALB:
// keep-alive connection pool to the target, health checks with an unhealthy threshold, and a deregistration
// that lands seconds after the pod got SIGTERM. Prints a timeline of states and of what clients saw.
//
//   ./run demo            (from the repository root; installs and builds first)
//   node examples/node-http/demo.mjs   (once built)
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const RATE = 100; // requests per second through the LB
const POOL = 6; // LB keep-alive connections to the target
const HC_INTERVAL = 1000; // health-check interval (ALBC default 15 s, scaled down)
const HC_UNHEALTHY = 2; // unhealthy threshold (ALB default 2)
const LB_LAG = 2500; // SIGTERM -> LB stops routing new requests (controller lag + propagation)
const WARMUP = 2000;
const GRACE = 8000; // terminationGracePeriodSeconds, scaled down: kubelet sends SIGKILL after it

const tty = process.stdout.isTTY;
const c = (code, s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s) => c(1, s);
const dim = (s) => c(2, s);
const red = (s) => c(31, s);
const green = (s) => c(32, s);

function startServer(script, env) {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events = [];
  let stderr = '';
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        events.push(JSON.parse(line));
      } catch {}
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  return { child, events, exited, stderr: () => stderr };
}

async function run(name, script, env) {
  const server = startServer(script, env);
  const t0 = Date.now();
  while (!server.events.some((e) => e.event === 'listening')) {
    if (Date.now() - t0 > 10_000 || server.child.exitCode !== null) throw new Error(`${script} did not start:\n${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const port = server.events.find((e) => e.event === 'listening').port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: POOL, keepAliveMsecs: 60_000 });
  const lb = { registered: true, healthy: true, failures: 0, stoppedAt: null };
  const log = []; // { at, outcome }
  let sigtermAt = null;
  let exitInfo = null;
  void server.exited.then((e) => {
    exitInfo = e;
  });

  const request = (path, headers = {}) =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent, headers, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, close: res.headers.connection === 'close' }));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (e) => resolve({ error: e.code ?? e.message }));
    });

  const routing = () => lb.registered && lb.healthy;
  const startedAt = Date.now();
  let sent = 0;
  const sender = setInterval(() => {
    if (!routing() || exitInfo) return;
    sent++;
    const at = Date.now();
    const path = sent % 10 === 0 ? '/work?ms=300' : '/';
    void request(path).then((r) => {
      const outcome = r.error ? `error ${r.error}` : r.status >= 500 ? `HTTP ${r.status}` : r.close ? 'ok (close)' : 'ok';
      log.push({ at, outcome });
    });
  }, 1000 / RATE);
  const checker = setInterval(async () => {
    if (!lb.registered || exitInfo) return;
    const r = await request('/readyz', { 'user-agent': 'ELB-HealthChecker/2.0' });
    if (r.status === 200) lb.failures = 0;
    else if (++lb.failures >= HC_UNHEALTHY && lb.healthy) {
      lb.healthy = false;
      lb.stoppedAt ??= Date.now();
    }
  }, HC_INTERVAL);

  console.log(`\n${bold(name)} ${dim(`(${script})`)}`);
  console.log(dim('   time   server      LB          sent     ok   ok+close  failed'));
  let lastRow = 0;
  const row = () => {
    const now = Date.now();
    const slice = log.filter((l) => l.at >= lastRow && l.at < now);
    lastRow = now;
    const state = exitInfo
      ? exitInfo.signal
        ? 'SIGKILLed'
        : `exited(${exitInfo.code})`
      : ([...server.events].reverse().find((e) => e.event === 'state')?.to ?? 'running');
    const lbState = !lb.registered ? 'deregistered' : lb.healthy ? 'routing' : 'unhealthy';
    const ok = slice.filter((l) => l.outcome === 'ok').length;
    const close = slice.filter((l) => l.outcome === 'ok (close)').length;
    const failed = slice.length - ok - close;
    const t = `${((now - startedAt) / 1000).toFixed(1)}s`.padStart(7);
    const f = String(failed).padStart(6);
    console.log(
      `${t}   ${state.padEnd(11)} ${lbState.padEnd(12)}${String(slice.length).padStart(5)}${String(ok).padStart(7)}${String(close).padStart(10)}  ${failed ? red(f) : f}`,
    );
  };
  const printer = setInterval(row, 500);

  await new Promise((r) => setTimeout(r, WARMUP));
  sigtermAt = Date.now();
  console.log(dim(`  ── SIGTERM (the LB keeps routing for ${LB_LAG / 1000}s: controller lag + propagation) ──`));
  server.child.kill('SIGTERM');
  const deregister = setTimeout(() => {
    lb.registered = false;
    lb.stoppedAt ??= Date.now();
  }, LB_LAG);
  const kubelet = setTimeout(() => server.child.kill('SIGKILL'), GRACE);
  await server.exited;
  clearTimeout(kubelet);
  clearInterval(sender);
  clearInterval(checker);
  clearTimeout(deregister);
  await new Promise((r) => setTimeout(r, 600)); // let the last answers (or errors) arrive
  row();
  clearInterval(printer);
  agent.destroy();

  const failures = {};
  for (const l of log) if (!l.outcome.startsWith('ok')) failures[l.outcome] = (failures[l.outcome] ?? 0) + 1;
  const evidence = /draining ended: (\S+)/.exec(server.stderr())?.[1] ?? '-';
  return {
    name,
    requests: log.length,
    failed: log.length - log.filter((l) => l.outcome.startsWith('ok')).length,
    failures,
    exitMs: exitInfo ? exitInfo.at - sigtermAt : null,
    exitCode: exitInfo?.signal ?? exitInfo?.code ?? null,
    evidence,
  };
}

console.log(bold('draingate demo: a pod shut down under load behind a (emulated) load balancer'));
console.log(
  dim(
    `${RATE} req/s over ${POOL} keep-alive connections; health checks every ${HC_INTERVAL / 1000}s, unhealthy after ${HC_UNHEALTHY} failures; LB stops routing ${LB_LAG / 1000}s after SIGTERM; SIGKILL ${GRACE / 1000}s after SIGTERM`,
  ),
);
const draingateEnv = {
  DRAINGATE_GRACE_PERIOD: `${GRACE}ms`,
  DRAINGATE_MIN_DELAY: '1s',
  DRAINGATE_MAX_DELAY: '4s',
  DRAINGATE_QUIET_PERIOD: '1s',
  DRAINGATE_DRAIN_TIMEOUT: '2s',
  DRAINGATE_HOOKS_TIMEOUT: '1s',
};
const results = [
  await run('naive: server.close() on SIGTERM', 'naive.mjs', {}),
  await run('fixed: sleep 5 s, then close', 'fixed-sleep.mjs', { SLEEP_MS: '5000' }),
  await run('draingate', 'server.mjs', draingateEnv),
];

console.log(`\n${bold('result')}`);
console.log(dim('  run                                requests  failed  success    SIGTERM→exit     exit  draining ended on'));
for (const r of results) {
  const pct = r.requests ? ((100 * (r.requests - r.failed)) / r.requests).toFixed(2) : '-';
  const line = `  ${r.name.padEnd(35)}${String(r.requests).padStart(8)}${String(r.failed).padStart(8)}  ${`${pct} %`.padStart(8)}  ${r.exitMs === null ? '       -' : `${(r.exitMs / 1000).toFixed(2)} s`.padStart(12)}  ${String(r.exitCode).padStart(9)}  ${r.evidence}`;
  console.log(r.failed ? red(line) : green(line));
  if (r.failed)
    console.log(
      dim(
        `      failures: ${Object.entries(r.failures)
          .map(([k, v]) => `${k} ×${v}`)
          .join(', ')}`,
      ),
    );
}
const [naive, fixed, dg] = results;
if (dg.failed === 0 && dg.exitCode === 0) {
  console.log(
    `\n${green('draingate: 0 failed requests')}; the naive shutdown lost ${naive.failed}; the fixed sleep lost ${fixed.failed} and took ${(fixed.exitMs / 1000).toFixed(1)} s to exit, draingate ${(dg.exitMs / 1000).toFixed(1)} s.`,
  );
} else {
  console.log(`\n${red('draingate lost requests in this run')}: see the timeline above.`);
  process.exitCode = 1;
}
