/**
 * A real etcd + kube-apiserver on loopback for tests, started like controller-runtime's envtest.
 *
 * Binaries: built from their Go modules by `test/k8s/build.sh` (cached outside the clone). The directory is taken
 * from `DGTEST_K8S_BIN` (exported by `./run test`), else from the build cache that `build.sh` would print.
 * Missing binaries make `startApiServer()` reject with a message saying to run `test/k8s/build.sh` or
 * `./run test` (tests fail, they are never skipped).
 *
 * What runs: etcd (temp data dir, `--unsafe-no-fsync`) and kube-apiserver with RBAC on
 * (`--authorization-mode=RBAC`), token auth (an admin token in group `system:masters`), a serving certificate the
 * apiserver generates in its cert dir (trusted through `caData`), and a service-account signing key so
 * ServiceAccount tokens minted by TokenRequest authenticate. No kubelet, scheduler or controller-manager: tests
 * write pod status themselves, and no `default` ServiceAccount exists (the ServiceAccount admission plugin is off).
 * Tests that need the real controllers add `startControllerManager()` (controller-manager.ts) and a simulated
 * kubelet (kubelet-sim.ts).
 * Every wait is bounded (etcd 30 s, `/readyz` 90 s; use a beforeAll timeout of 150 s); `stop()` kills both processes (SIGTERM, SIGKILL after 10 s)
 * and removes the temp dir, also when start-up failed.
 *
 * Stable API (`@draingate/testkit/k8s`, used by the sidecar's and doctor's tests):
 *
 *   const api = await startApiServer();          // one per test file, in beforeAll
 *   api.url                                      // https://127.0.0.1:<port>
 *   api.caData                                   // base64 PEM that verifies the serving certificate
 *   api.adminKubeConfig()                        // KubeConfig with the admin (system:masters) token
 *   api.kubeConfigForToken(token)                // KubeConfig with any bearer token
 *   await api.tokenFor('ns', 'sa')               // TokenRequest for a ServiceAccount (namespace + SA created if missing)
 *   api.logs()                                   // the last lines of both logs (for failure messages)
 *   await api.stop()                             // idempotent
 *
 *   await ensureNamespace(kc, 'ns')
 *   await dryRunApply(kc, yamlText)              // manifests.ts: server-side dry-run of every YAML document → per-document results
 *   await installTargetGroupBindingCrd(kc)       // manifests.ts: a minimal elbv2.k8s.aws/v1beta1 TargetGroupBinding CRD, established
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePort, k8sBinDir, Proc, until } from './processes.js';

export interface ApiServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** Base64 PEM of the apiserver's self-generated serving certificate chain. */
  readonly caData: string;
  /** The admin bearer token (group `system:masters`). */
  readonly adminToken: string;
  /** The directory with `etcd` and `kube-apiserver`. */
  readonly binDir: string;
  adminKubeConfig(): KubeConfig;
  kubeConfigForToken(token: string, namespace?: string): KubeConfig;
  /** Mints a token for `namespace/serviceAccount` with TokenRequest; creates the namespace and ServiceAccount if missing. */
  tokenFor(namespace: string, serviceAccount: string, expirationSeconds?: number): Promise<string>;
  /** The last lines of etcd's and kube-apiserver's logs. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

export interface StartApiServerOptions {
  /** Extra kube-apiserver flags (`--name=value`). */
  extraArgs?: string[];
  /** Bound on waiting for `/readyz` (default 90 000 ms: ~3 s on an idle 2-core machine, much more under load). */
  readyTimeoutMs?: number;
}

/** Starts etcd + kube-apiserver. Retries twice when a picked port was taken meanwhile. */
export async function startApiServer(options: StartApiServerOptions = {}): Promise<ApiServer> {
  const binDir = k8sBinDir();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binDir, options);
    } catch (e) {
      lastError = e;
      // Only a port race is worth another attempt.
      if (!/address already in use|bind:/i.test(String(e))) break;
    }
  }
  throw lastError;
}

async function startOnce(binDir: string, options: StartApiServerOptions): Promise<ApiServer> {
  const work = mkdtempSync(join(tmpdir(), 'draingate-apiserver-'));
  const procs: Proc[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const p of [...procs].reverse()) await p.kill();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = new Proc(
      'etcd',
      spawn(
        join(binDir, 'etcd'),
        [
          '--name=test',
          `--data-dir=${join(work, 'etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
          `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=test=http://127.0.0.1:${etcdPeer}`,
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    procs.push(etcd);
    await until('etcd /health', 30_000, etcd, async () => {
      const r = await fetch(`http://127.0.0.1:${etcdClient}/health`, { signal: AbortSignal.timeout(1000) });
      return r.ok && ((await r.json()) as { health?: string }).health === 'true';
    });

    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(work, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    writeFileSync(join(work, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const adminToken = randomBytes(24).toString('hex');
    writeFileSync(join(work, 'tokens.csv'), `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
    const certDir = join(work, 'certs');
    mkdirSync(certDir);

    const api = new Proc(
      'kube-apiserver',
      spawn(
        join(binDir, 'kube-apiserver'),
        [
          `--etcd-servers=http://127.0.0.1:${etcdClient}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          '--endpoint-reconciler-type=none',
          `--secure-port=${apiPort}`,
          `--cert-dir=${certDir}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${join(work, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(work, 'sa.key')}`,
          `--token-auth-file=${join(work, 'tokens.csv')}`,
          '--authorization-mode=RBAC',
          '--service-cluster-ip-range=10.0.0.0/24',
          '--disable-admission-plugins=ServiceAccount',
          ...(options.extraArgs ?? []),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    procs.push(api);
    const url = `https://127.0.0.1:${apiPort}`;
    const certFile = join(certDir, 'apiserver.crt');
    await until('kube-apiserver serving certificate', 30_000, api, async () => existsSync(certFile));
    const caData = readFileSync(certFile).toString('base64');

    const kubeConfigForToken = (token: string, namespace?: string): KubeConfig => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'test', server: url, caData, skipTLSVerify: false }],
        users: [{ name: 'user', token }],
        contexts: [{ name: 'test', cluster: 'test', user: 'user', ...(namespace ? { namespace } : {}) }],
        currentContext: 'test',
      });
      return kc;
    };
    const adminKubeConfig = (): KubeConfig => kubeConfigForToken(adminToken);

    const ca = readFileSync(certFile);
    let lastReadyz = '';
    await until(
      'kube-apiserver /readyz',
      options.readyTimeoutMs ?? 90_000,
      api,
      async () => {
        const r = await readyz(url, ca, adminToken);
        if (r !== true) lastReadyz = r;
        return r === true;
      },
      () => `last /readyz answer: ${lastReadyz}`,
    );

    return {
      url,
      caData,
      adminToken,
      binDir,
      adminKubeConfig,
      kubeConfigForToken,
      async tokenFor(namespace, serviceAccount, expirationSeconds = 3600) {
        const kc = adminKubeConfig();
        await ensureNamespace(kc, namespace);
        const c = kc.makeApiClient(CoreV1Api);
        try {
          await c.createNamespacedServiceAccount({ namespace, body: { metadata: { name: serviceAccount } } });
        } catch (e) {
          if (!(e instanceof ApiException && e.code === 409)) throw e;
        }
        const tr = await c.createNamespacedServiceAccountToken({
          name: serviceAccount,
          namespace,
          body: { spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds } },
        });
        const token = tr.status?.token;
        if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
        return token;
      },
      logs: (lines = 40) => procs.map((p) => p.tail(lines)).join('\n'),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** `GET /readyz?verbose` answers 200 (the serving certificate verified against `ca`); else the failing checks. */
function readyz(url: string, ca: Buffer, token: string): Promise<true | string> {
  return new Promise((res) => {
    const req = httpsGet(`${url}/readyz?verbose`, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (r) => {
      let body = '';
      r.on('data', (b: Buffer) => {
        body += b.toString();
      });
      r.on('end', () => {
        if (r.statusCode === 200) res(true);
        else
          res(
            `HTTP ${r.statusCode}: ${
              body
                .split('\n')
                .filter((l) => l.startsWith('[-]'))
                .join('; ') || body.slice(0, 300)
            }`,
          );
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout after 2 s')));
    req.on('error', (e) => res(e.message));
  });
}

export async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  try {
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  } catch (e) {
    if (!(e instanceof ApiException && e.code === 409)) throw e;
  }
}
