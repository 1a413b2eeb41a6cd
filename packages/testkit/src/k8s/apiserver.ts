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
 *   await dryRunApply(kc, yamlText)              // server-side dry-run of every YAML document → per-document results
 *   await installTargetGroupBindingCrd(kc)       // a minimal elbv2.k8s.aws/v1beta1 TargetGroupBinding CRD, established
 *   await ensureNamespace(kc, 'ns')
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

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

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');
const k8sDir = join(repoRoot, 'test/k8s');
const MISSING_HINT = 'run `test/k8s/build.sh` (builds kube-apiserver, kube-controller-manager and etcd once, ~15 min cold) or `./run test`';

/** The directory holding `binaries` (default `etcd` and `kube-apiserver`), or an Error that says how to build them. */
export function k8sBinDir(binaries: readonly string[] = ['etcd', 'kube-apiserver']): string {
  const fromEnv = process.env.DGTEST_K8S_BIN;
  const check = (dir: string, where: string): string => {
    for (const b of binaries) {
      if (!existsSync(join(dir, b)))
        throw new Error(`kube-apiserver test binaries: ${join(dir, b)} (${where}) does not exist; ${MISSING_HINT}`);
    }
    return dir;
  };
  if (fromEnv) return check(fromEnv, 'from DGTEST_K8S_BIN');
  // The same key build.sh computes (its comment names this code's old place, sidecar/test/helpers/apiserver.ts): <k8s-version>-<first 16 hex of sha256(go.mod ‖ go.sum ‖ build.sh)>.
  const goMod = readFileSync(join(k8sDir, 'go.mod'));
  const goSum = readFileSync(join(k8sDir, 'go.sum'));
  const buildSh = readFileSync(join(k8sDir, 'build.sh'));
  const version = /^\s*k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod.toString())?.[1];
  if (!version) throw new Error(`cannot find the k8s.io/kubernetes version in ${join(k8sDir, 'go.mod')}`);
  const hash = createHash('sha256').update(goMod).update(goSum).update(buildSh).digest('hex').slice(0, 16);
  const cacheRoot = process.env.DGTEST_K8S_CACHE ?? join(homedir(), '.cache/draingate/k8s');
  return check(join(cacheRoot, `${version}-${hash}`, 'bin'), 'build cache; DGTEST_K8S_BIN is not set');
}

/** A free loopback port (the apiserver rejects --secure-port=0, so we pick one). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A child process whose output is kept in memory (the last ~1000–2000 lines), for failure messages only. */
export class Proc {
  readonly out: string[] = [];
  exited: number | string | null = null;
  private readonly done: Promise<void>;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const push = (b: Buffer): void => {
      for (const line of b.toString().split('\n')) if (line) this.out.push(line);
      if (this.out.length > 2000) this.out.splice(0, this.out.length - 1000);
    };
    child.stdout?.on('data', push);
    child.stderr?.on('data', push);
    this.done = new Promise((r) => {
      child.once('exit', (code, signal) => {
        this.exited = code ?? signal ?? 'exited';
        r();
      });
      child.once('error', (e) => {
        this.exited = `spawn error: ${e.message}`;
        r();
      });
    });
  }
  tail(n: number): string {
    return `--- ${this.name} (last ${n} lines) ---\n${this.out.slice(-n).join('\n')}`;
  }
  async kill(): Promise<void> {
    if (this.exited !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.done;
    clearTimeout(timer);
  }
}

/** Polls `probe` every 100 ms until it answers true; fails after `timeoutMs`, or at once when `proc` exits. */
export async function until(
  what: string,
  timeoutMs: number,
  proc: Proc,
  probe: () => Promise<boolean>,
  last: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    if (proc.exited !== null) throw new Error(`${proc.name} exited (${proc.exited}) while waiting for ${what}\n${proc.tail(40)}`);
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (machine overloaded?) ${last()}\n${proc.tail(40)}`);
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

export interface DryRunResult {
  kind: string;
  name: string;
  namespace: string | undefined;
  /** `null` when the server accepted the document. */
  error: string | null;
  /** HTTP status of the failed request, if any. */
  code: number | null;
}

/**
 * Submits every YAML document with server-side dry-run (`dryRun=All`, like `kubectl apply --dry-run=server`):
 * a create, or a strategic-merge patch when the object already exists. Namespaces that documents live in are
 * created for real first (a dry-run Namespace does not exist for the documents after it), unless
 * `createNamespaces: false`. Returns one result per non-empty document; YAML syntax errors throw.
 */
export async function dryRunApply(
  kc: KubeConfig,
  yamlText: string,
  opts: { createNamespaces?: boolean; defaultNamespace?: string } = {},
): Promise<DryRunResult[]> {
  const docs = parseAllDocuments(yamlText);
  const objects: KubernetesObject[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`YAML error: ${d.errors.map((e) => e.message).join('; ')}`);
    const o = d.toJS() as KubernetesObject | null;
    if (o !== null && o !== undefined) objects.push(o);
  }
  const client = KubernetesObjectApi.makeApiClient(kc);
  const results: DryRunResult[] = [];
  for (const o of objects) {
    const kind = String(o.kind ?? '');
    const name = String(o.metadata?.name ?? '');
    let namespace = o.metadata?.namespace;
    const result: DryRunResult = { kind, name, namespace, error: null, code: null };
    results.push(result);
    try {
      if (!o.apiVersion || !o.kind) throw new Error('document has no apiVersion/kind');
      // `resource()` is protected in client-node 1.4; it reads (and caches) API discovery.
      const discovery = client as unknown as { resource(apiVersion: string, kind: string): Promise<{ namespaced: boolean } | undefined> };
      const found = await discovery.resource(o.apiVersion, o.kind);
      if (!found) throw new Error(`the server does not serve ${o.kind} in ${o.apiVersion}`);
      const namespaced = found.namespaced;
      if (namespaced && !namespace) {
        namespace = opts.defaultNamespace ?? 'default';
        o.metadata = { ...o.metadata, namespace };
        result.namespace = namespace;
      }
      if (namespaced && namespace && opts.createNamespaces !== false) await ensureNamespace(kc, namespace);
      try {
        await client.create(o, undefined, 'All');
      } catch (e) {
        if (!(e instanceof ApiException && e.code === 409)) throw e;
        await client.patch(o, undefined, 'All', 'draingate-test', undefined, PatchStrategy.StrategicMergePatch);
      }
    } catch (e) {
      result.code = e instanceof ApiException ? e.code : null;
      result.error = describeError(e);
    }
  }
  return results;
}

function describeError(e: unknown): string {
  if (e instanceof ApiException) {
    const body = e.body as unknown;
    let msg: string | undefined;
    if (typeof body === 'string') {
      try {
        msg = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        msg = body;
      }
    } else if (body && typeof body === 'object') msg = (body as { message?: string }).message;
    return `HTTP ${e.code}: ${msg ?? e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * A minimal CustomResourceDefinition for the AWS Load Balancer Controller's `TargetGroupBinding`
 * (`elbv2.k8s.aws/v1beta1`): the fields the sidecar reads (`spec.targetGroupARN`, `spec.targetType`,
 * `spec.serviceRef.{name,port}`), with unknown fields preserved. Waits (≤ 30 s) until the CRD is Established.
 */
export async function installTargetGroupBindingCrd(kc: KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const name = 'targetgroupbindings.elbv2.k8s.aws';
  try {
    await ext.createCustomResourceDefinition({
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name },
        spec: {
          group: 'elbv2.k8s.aws',
          scope: 'Namespaced',
          names: {
            plural: 'targetgroupbindings',
            singular: 'targetgroupbinding',
            kind: 'TargetGroupBinding',
            listKind: 'TargetGroupBindingList',
          },
          versions: [
            {
              name: 'v1beta1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['targetGroupARN', 'serviceRef'],
                      x_kubernetes_preserve_unknown_fields: true,
                      properties: {
                        targetGroupARN: { type: 'string', minLength: 1 },
                        targetType: { type: 'string', _enum: ['instance', 'ip'] },
                        serviceRef: {
                          type: 'object',
                          required: ['name', 'port'],
                          properties: { name: { type: 'string' }, port: { x_kubernetes_int_or_string: true } },
                        },
                      },
                    },
                    status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                  },
                },
              },
            },
          ],
        },
      },
    });
  } catch (e) {
    if (!(e instanceof ApiException && e.code === 409)) throw e;
  }
  const deadline = Date.now() + 30_000;
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    const crd = await ext.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
      // Discovery of the new group can lag a little behind Established.
      const objects = KubernetesObjectApi.makeApiClient(kc);
      try {
        await objects.list('elbv2.k8s.aws/v1beta1', 'TargetGroupBinding', 'default');
        return;
      } catch {
        /* not yet served */
      }
    }
    await sleep(100);
  }
  throw new Error(`CRD ${name} not Established and served within 30 s`);
}
