// HAProxy as the load balancer of the rollout harness: one frontend, one backend of server-template slots that
// the controller emulation (controller.mjs) fills and empties through the runtime API, like the AWS Load Balancer
// Controller registers and deregisters pod IPs in a target group.
//
// How it is set up to behave like an ALB target group (and where it differs):
// - HTTP mode, keep-alive to the backends (`http-reuse always`: idle server connections are shared by all
//   client connections, as ALB nodes keep a pool of connections per target).
// - No retries, no redispatch (`retries 0`, `option redispatch` off): an ALB never retries; a refused or reset
//   backend connection is an error answer to the client (HAProxy: 503 when the connection is refused, 502 when
//   the connection is reset or closed before the answer). `option abortonclose` stays off.
// - Active health checks like a target group's: `GET <path>` over HTTP/1.1 with `Host` and
//   `User-Agent: ELB-HealthChecker/2.0`, `interval`, healthy threshold (`rise`) and unhealthy threshold (`fall`).
//   A newly registered target must pass `rise` checks before it gets traffic (ALB: "initial" until healthy):
//   the controller puts a new slot in health `down` before taking it out of maintenance.
// - Deregistration = `set server … state maint`: no new requests, requests in flight run to their end, and no
//   more health checks (an ALB target in "draining"). HAProxy's `drain` state would keep health-checking and
//   would still route "persistent" requests; nothing here is persistent, but maint is the closer match.
// - Idle timeouts: `timeout server 60s` and an idle-connection pool kept `pool-purge-delay 60s`, like the ALB's
//   60 s idle timeout, so a backend's keepAliveTimeout must exceed 60 s or it closes sockets HAProxy may reuse.
// - Differences: one HAProxy process is one "LB node" (an ALB has one node per AZ, each health-checking on its
//   own; draingate's health-check evidence waits for every node it saw, so one node is the easy case for the
//   count but the same logic). When every target is down HAProxy answers 503; an ALB "fails open" and routes
//   to all of them — the scenarios never take every target out (maxUnavailable 0, scale-in keeps one).
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
 * @param {{ healthCheck: { path: string, interval: number, rise: number, fall: number, timeout?: number } }} options
 *   durations in ms
 */
export async function startHaproxy({ healthCheck }) {
  const dir = mkdtempSync(join(tmpdir(), 'draingate-haproxy-'));
  const sock = join(dir, 'admin.sock');
  const port = await freePort();
  const hc = healthCheck;
  const cfg = `global
  stats socket ${sock} mode 600 level admin
  stats timeout 1m

defaults
  mode http
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
`;
  const cfgPath = join(dir, 'haproxy.cfg');
  writeFileSync(cfgPath, cfg);
  let child;
  try {
    child = spawn('haproxy', ['-db', '-f', cfgPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw haproxyMissing(error);
  }
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
  });
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

  // Wait until the frontend and the runtime API answer (bounded: 10 s).
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

  /** Each slot's state from `show servers state`: { slot, addr, port, admin: 'ready'|'maint', up: boolean }. */
  async function servers() {
    const out = await admin('show servers state be');
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

  return {
    port,
    cfgPath,
    admin,
    servers,
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
