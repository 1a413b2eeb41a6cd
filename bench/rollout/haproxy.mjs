// HAProxy in the rollout harness: `runHaproxy` starts it for every LB model (lb-models.mjs) and reads its log;
// `startHaproxy` is the single-node model's configuration (`--lb-model single`: one frontend, one backend of
// server-template slots that lb-single.mjs fills and empties through the runtime API). The multi-node models
// build their own configuration (lb-nodes.mjs) on the same settings:
// - HTTP mode, keep-alive to the backends (`http-reuse always`: idle server connections are shared by all
//   client connections, as ALB nodes keep a pool of connections per target).
// - No retries, no redispatch (`retries 0`, `option redispatch` off): an ALB never retries; a refused or reset
//   backend connection is an error answer to the client (HAProxy: 503 when the connection is refused, 502 when
//   the connection is reset or closed before the answer). `option abortonclose` stays off.
// - Deregistration = `set server … state maint`: no new requests, requests in flight run to their end (and in
//   the single model no more health checks). HAProxy's `drain` state would keep health-checking and would still
//   route "persistent" requests; nothing here is persistent, but maint is the closer match.
// - Idle timeouts: `timeout server 60s` and an idle-connection pool kept `pool-purge-delay 60s`, like the ALB's
//   60 s idle timeout, so a backend's keepAliveTimeout must exceed 60 s or it closes sockets HAProxy may reuse.
// - A log line per request (HTTP) or connection (TCP) on stdout: which node's frontend sent it to which slot,
//   when. The harness reads it to know the last request each node sent to each pod.
// Single model only: HAProxy's own active health checks like a target group's (`GET <path>` over HTTP/1.1 with
// `Host` and `User-Agent: ELB-HealthChecker/2.0`, `interval`, healthy threshold `rise`, unhealthy threshold
// `fall`; a new target must pass `rise` checks: it is put in health `down` before it leaves maintenance). One
// HAProxy there is one "LB node"; when every target is down it answers 503 (no fail-open).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SLOTS = 16;

/** A free TCP port on 127.0.0.1 (listen on 0, close, hand out the number). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The single-node model (`--lb-model single`): one HAProxy is the whole load balancer, with HAProxy's own health
 * checks. (The multi-node models build their own configuration: lb-nodes.mjs.)
 * @param {{ healthCheck: { path: string, interval: number, rise: number, fall: number, timeout?: number },
 *           onLog?: (line: string) => void }} options  durations in ms
 */
export async function startHaproxy({ healthCheck, onLog }) {
  const port = await freePort();
  const hc = healthCheck;
  const haproxy = await runHaproxy(
    (sock) => `global
  stats socket ${sock} mode 600 level admin
  stats timeout 1m
  log stdout format raw local0

defaults
  mode http
  log global
  log-format "${LOG_FORMAT.http}"
  timeout connect 2s
  timeout client 65s
  timeout server 60s
  timeout http-request 10s
  timeout http-keep-alive 60s
  timeout check ${hc.timeout ?? 2000}ms
  retries 0
  no option redispatch
  no option abortonclose

frontend fe
  bind 127.0.0.1:${port}
  default_backend be

backend be
  balance roundrobin
  http-reuse always
  option httpchk
  http-check send meth GET uri ${hc.path} ver HTTP/1.1 hdr Host target.internal hdr User-Agent ELB-HealthChecker/2.0
  http-check expect status 200
  default-server inter ${hc.interval}ms fastinter ${hc.interval}ms downinter ${hc.interval}ms rise ${hc.rise} fall ${hc.fall} pool-purge-delay 60s
  server-template pod 1-${SLOTS} 127.0.0.1:1 disabled check
`,
    { onLog },
  );

  /** Each slot's state from `show servers state`: { slot, addr, port, admin: 'ready'|'maint', up: boolean }. */
  async function servers() {
    const out = await haproxy.admin('show servers state be');
    const rows = [];
    for (const line of out.split('\n')) {
      if (!line || line.startsWith('#') || /^\d+$/.test(line)) continue;
      const f = line.split(' ');
      // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ... srv_port (field 18)
      rows.push({
        name: f[3],
        addr: f[4],
        up: f[5] === '2', // SRV_ST_RUNNING
        // srv_admin_state flags: FMAINT 0x01, IMAINT 0x02, CMAINT 0x04 (set by `disabled` in the config, kept
        // after `state ready`), FDRAIN 0x08, IDRAIN 0x10, RMAINT 0x20
        maint: (Number(f[6]) & 0x23) !== 0,
        drain: (Number(f[6]) & 0x18) !== 0,
        port: Number(f[18]),
      });
    }
    return rows;
  }

  return { ...haproxy, port, servers };
}

/**
 * One request (HTTP mode) or connection (TCP mode) per line: accept time (epoch s.ms; per request on a kept-alive
 * connection in HTTP mode), frontend, server, status. parseLogLine() reads it.
 */
export const LOG_FORMAT = { http: '%Ts.%ms %f %s %ST', tcp: '%Ts.%ms %f %s -' };

/** @returns {{ at: number, frontend: string, server: string, status: string } | null} */
export function parseLogLine(line) {
  const m = /^(\d+)\.(\d{3}) (\S+) (\S+) (\S+)$/.exec(line);
  return m ? { at: Number(m[1]) * 1000 + Number(m[2]), frontend: m[3], server: m[4], status: m[5] } : null;
}

/**
 * Starts HAProxy in the foreground with the configuration `config(adminSocketPath)` returns, waits until its
 * runtime API answers (bounded: 10 s), and hands each line of its stdout (`log stdout`) to `onLog`.
 * `admin(command)` sends one runtime-API command, or several joined by "; " (one connection, in order).
 * @param {(sock: string) => string} config @param {{ onLog?: (line: string) => void }} [o]
 */
export async function runHaproxy(config, { onLog } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'draingate-haproxy-'));
  const sock = join(dir, 'admin.sock');
  const cfgPath = join(dir, 'haproxy.cfg');
  writeFileSync(cfgPath, config(sock));
  let child;
  try {
    child = spawn('haproxy', ['-db', '-f', cfgPath], { stdio: ['ignore', onLog ? 'pipe' : 'ignore', 'pipe'] });
  } catch (error) {
    throw haproxyMissing(error);
  }
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    if (stderr.length < 100_000) stderr += d;
  });
  if (onLog) {
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLog(line);
    });
  }
  const exited = new Promise((resolve, reject) => {
    child.once('error', (error) => reject(haproxyMissing(error)));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => {});

  const admin = (command) =>
    new Promise((resolve, reject) => {
      const s = net.connect(sock);
      let out = '';
      s.setEncoding('utf8');
      s.setTimeout(5000, () => s.destroy(new Error(`HAProxy runtime API: no answer to "${command}" in 5 s`)));
      s.on('data', (d) => {
        out += d;
      });
      s.on('error', reject);
      s.on('close', () => resolve(out.trim()));
      s.end(`${command}\n`);
    });

  // Wait until the runtime API answers (bounded: 10 s).
  const t0 = Date.now();
  for (;;) {
    const ready = await Promise.race([
      exited.then(() => 'exited'),
      admin('show info').then(
        () => 'ok',
        () => 'no',
      ),
    ]);
    if (ready === 'ok') break;
    if (ready === 'exited' || Date.now() - t0 > 10_000) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`HAProxy did not start (config ${cfgPath}):\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    cfgPath,
    admin,
    stderr: () => stderr,
    /** Synchronous last resort (a signal, the process exiting): SIGKILL HAProxy and remove its directory. */
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited.catch(() => {});
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Throws when a runtime-API answer is an error (successful `set server` commands answer nothing or a note). */
export function checkAdmin(command, out) {
  if (/unknown|invalid|require|not found|no such|cannot|error/i.test(out))
    throw new Error(`HAProxy runtime API: "${command}" answered: ${out}`);
  return out;
}

function haproxyMissing(error) {
  if (error?.code === 'ENOENT')
    return new Error(
      'HAProxy is not installed (no `haproxy` on PATH). The rollout harness, demo and e2e test need the real load balancer: run `./run test` or `./run demo` (both install it with apt), or `sudo apt-get install haproxy`.',
    );
  return error;
}

/** Throws the clear "install HAProxy" error when `haproxy` is not on PATH. */
export async function assertHaproxy() {
  await new Promise((resolve, reject) => {
    const c = spawn('haproxy', ['-v'], { stdio: 'ignore' });
    c.once('error', (e) => reject(haproxyMissing(e)));
    c.once('exit', resolve);
  });
}
