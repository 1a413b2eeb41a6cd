/**
 * A real kube-controller-manager (built by `test/k8s/build.sh` next to kube-apiserver, same module and version)
 * against a test apiserver from {@link startApiServer}, so Deployments, ReplicaSets and EndpointSlices are driven
 * by the real controllers.
 *
 *   const api = await startApiServer();
 *   const kcm = await startControllerManager(api);   // deployment, replicaset, endpointslice controllers
 *   kcm.logs()                                       // its last log lines (for failure messages only)
 *   await kcm.stop()                                 // idempotent; SIGTERM, SIGKILL after 10 s
 *
 * It authenticates with the admin token (group `system:masters`) through a kubeconfig file in its temp dir, runs
 * only the controllers asked for (`--controllers`), without leader election and with one shared client (no
 * per-controller ServiceAccounts: `--use-service-account-credentials=false`, so the ServiceAccount token
 * controller, which would need the signing key, is not needed either). It serves `/healthz` on a free loopback
 * port with a certificate it generates; start-up waits (bounded) until `/healthz` answers 200. There is no
 * kubelet or scheduler: see `kubelet-sim.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiServer } from './apiserver.js';
import { freePort, k8sBinDir, Proc, until } from './processes.js';

/** What a Deployment needs to become pods and endpoints (names as `kube-controller-manager --controllers`). */
export const DEFAULT_CONTROLLERS: readonly string[] = ['deployment-controller', 'replicaset-controller', 'endpointslice-controller'];

export interface ControllerManager {
  /** `https://127.0.0.1:<port>` (serves `/healthz`, `/metrics` needs authorization). */
  readonly url: string;
  /** The last lines of its log. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

export interface StartControllerManagerOptions {
  /** `--controllers` (default {@link DEFAULT_CONTROLLERS}; e.g. add `garbage-collector-controller`). */
  controllers?: readonly string[];
  /**
   * Client rate limit towards the apiserver (`--kube-api-qps`, burst twice that). Default 100: kcm's own default
   * (20) would pace a rollout of hundreds of pods by the client limiter instead of by the controllers.
   */
  qps?: number;
  /** Extra flags (`--name=value`). */
  extraArgs?: string[];
  /** Bound on waiting for `/healthz` (default 60 000 ms). */
  readyTimeoutMs?: number;
}

export async function startControllerManager(api: ApiServer, options: StartControllerManagerOptions = {}): Promise<ControllerManager> {
  const binDir = k8sBinDir(['etcd', 'kube-apiserver', 'kube-controller-manager']);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binDir, api, options);
    } catch (e) {
      lastError = e;
      if (!/address already in use|bind:/i.test(String(e))) break; // only a port race is worth another attempt
    }
  }
  throw lastError;
}

async function startOnce(binDir: string, api: ApiServer, options: StartControllerManagerOptions): Promise<ControllerManager> {
  const work = mkdtempSync(join(tmpdir(), 'draingate-kcm-'));
  let proc: Proc | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await proc?.kill();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(kubeconfig, api.adminKubeConfig().exportConfig(), { mode: 0o600 });
    const certDir = join(work, 'certs');
    mkdirSync(certDir);
    const port = await freePort();
    const qps = options.qps ?? 100;
    proc = new Proc(
      'kube-controller-manager',
      spawn(
        join(binDir, 'kube-controller-manager'),
        [
          `--kubeconfig=${kubeconfig}`,
          `--controllers=${(options.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
          '--leader-elect=false',
          '--use-service-account-credentials=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${port}`,
          `--cert-dir=${certDir}`,
          `--kube-api-qps=${qps}`,
          `--kube-api-burst=${qps * 2}`,
          ...(options.extraArgs ?? []),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    const p = proc;
    const url = `https://127.0.0.1:${port}`;
    const certFile = join(certDir, 'kube-controller-manager.crt');
    let last = '';
    await until(
      'kube-controller-manager /healthz',
      options.readyTimeoutMs ?? 60_000,
      p,
      async () => {
        const r = await healthz(url, readFileSync(certFile));
        if (r !== true) last = r;
        return r === true;
      },
      () => `last /healthz answer: ${last}`,
    );
    return { url, logs: (lines = 40) => p.tail(lines), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** `GET /healthz` answers 200 (the serving certificate verified against `ca`); else why not. */
function healthz(url: string, ca: Buffer): Promise<true | string> {
  return new Promise((res) => {
    const req = httpsGet(`${url}/healthz`, { ca, timeout: 2000 }, (r) => {
      let body = '';
      r.on('data', (b: Buffer) => {
        body += b.toString();
      });
      r.on('end', () => res(r.statusCode === 200 ? true : `HTTP ${r.statusCode}: ${body.slice(0, 300)}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout after 2 s')));
    req.on('error', (e) => res(e.message));
  });
}
