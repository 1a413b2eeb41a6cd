import { readFileSync } from 'node:fs';
import { Agent, type RequestOptions, request } from 'node:https';
import { isIPv6 } from 'node:net';
import { SidecarConfigError } from './errors.js';
import { rememberSecret } from './secrets.js';

/**
 * A small Kubernetes API client for the handful of calls the sidecar makes (get/watch its pod, patch its status,
 * create events, read TargetGroupBindings, a Service, a Node). @kubernetes/client-node costs ~75 MB of RSS on
 * import (its generated models load eagerly); this is plain `node:https` + JSON. client-node is only loaded for a
 * `--kubeconfig` file (local runs), to read it ({@link authFromKubeconfigFile}).
 */

/** TLS and credentials for each request (read per request: service-account tokens rotate). */
export interface KubeAuth {
  /** `https://host:port` */
  readonly server: string;
  apply(options: RequestOptions): Promise<void>;
}

/** An answer other than 2xx. `body` is the raw text (a `Status` object as JSON, usually). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: Record<string, string>,
  ) {
    super(`HTTP ${code}: ${body.slice(0, 300)}`);
  }
}

/** The part of @kubernetes/client-node's KubeConfig this uses (tests and `--kubeconfig`). */
export interface KubeConfigLike {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(options: RequestOptions): Promise<void>;
}

export function authFromKubeConfig(kc: KubeConfigLike): KubeAuth {
  // A @kubernetes/client-node KubeConfig: its user's static credentials are secrets (exec plugins' are not known
  // in advance: their tokens are hidden by shape).
  const user = (kc as { getCurrentUser?(): { token?: string; password?: string } | null }).getCurrentUser?.();
  rememberSecret(user?.token);
  rememberSecret(user?.password);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  return { server: cluster.server, apply: (o) => kc.applyToHTTPSOptions(o) };
}

/**
 * Reads `--kubeconfig` (local runs) with @kubernetes/client-node, so that exec plugins and contexts work as kubectl's.
 * A file that cannot be read or used fails with one line naming the setting, the path and, for YAML errors, the
 * position: never the file's content (the YAML parser quotes the lines around an error, tokens included).
 */
export async function authFromKubeconfigFile(path: string): Promise<KubeAuth> {
  const bad = (problem: string): SidecarConfigError =>
    new SidecarConfigError('kubeconfig', `--kubeconfig / KUBECONFIG is ${JSON.stringify(path)}: ${problem}.`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw bad(code === 'EISDIR' ? 'a directory, not a file (EISDIR)' : `cannot be read (${code})`);
  }
  if (text.trim() === '') throw bad('not a kubeconfig (the file is empty)');
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (e) {
    throw bad(kubeconfigProblem(e as Error & { mark?: { line: number; column: number }; reason?: string }));
  }
  if (kc.clusters.length === 0) throw bad('not a kubeconfig (it has no clusters)');
  if (!kc.currentContext) throw bad('not usable: it has no current-context');
  const context = kc.getContextObject(kc.currentContext);
  if (!context) throw bad('not usable: its current-context names no entry of contexts');
  if (!kc.getCluster(context.cluster)) throw bad("not usable: its current context's cluster names no entry of clusters");
  return authFromKubeConfig(kc);
}

/** What is wrong with a kubeconfig, from the loader's error, in words that quote nothing of the file. */
function kubeconfigProblem(e: Error & { mark?: { line: number; column: number }; reason?: string }): string {
  if (e.name === 'YAMLException' && e.mark) {
    // A reason in plain words ("bad indentation of a mapping entry"); one that quotes the file (an alias, a tag) is left out.
    const reason = e.reason && /^[a-z][a-z ,()-]*$/i.test(e.reason) ? ` (${e.reason})` : '';
    return `not valid YAML at line ${e.mark.line + 1}, column ${e.mark.column + 1}${reason}; the file's content is not shown`;
  }
  // client-node's own checks: "clusters[0].cluster.server is missing", "Duplicate user: <name>".
  const missing = /^(clusters|users|contexts)\[\d+\](\.[\w-]+)+ is missing$/.exec(e.message ?? '');
  if (missing) return `not a kubeconfig (${missing[0]})`;
  const duplicate = /^Duplicate (cluster|user|context):/.exec(e.message ?? '');
  if (duplicate) return `not a kubeconfig (two ${duplicate[1]}s have the same name)`;
  return 'not a kubeconfig (the YAML is not a mapping of clusters, users and contexts)';
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * In-cluster auth, as `KubeConfig.loadFromCluster()` does: `KUBERNETES_SERVICE_HOST`/`_PORT`, the CA and the
 * projected token from the service-account directory (token re-read at most once a minute).
 */
export function inClusterAuth(env: Readonly<Record<string, string | undefined>>, dir: string = SA_DIR): KubeAuth {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new Error('KUBERNETES_SERVICE_HOST is not set: not running in a pod (pass --kubeconfig)');
  // Both files are read now, so a pod without its service account fails at start with the fix, not at each call.
  const mounted = <T>(what: string, file: string, read: (path: string) => T): T => {
    try {
      return read(`${dir}/${file}`);
    } catch (e) {
      throw new SidecarConfigError(
        'kubeconfig',
        `--kubeconfig / KUBECONFIG is not set and the service-account ${what} ${dir}/${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): mount the pod's service account (automountServiceAccountToken must not be false, serviceAccountName: draingate-sidecar) or pass a kubeconfig file.`,
      );
    }
  };
  const ca = mounted('CA', 'ca.crt', (f) => readFileSync(f));
  let token = mounted('token', 'token', (f) => readFileSync(f, 'utf8').trim());
  rememberSecret(token);
  let readAt = performance.now();
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    async apply(o) {
      // Monotonic: a wall clock set back an hour must not keep a rotated-away token for that hour.
      if (performance.now() - readAt > 60_000) {
        token = readFileSync(`${dir}/token`, 'utf8').trim();
        rememberSecret(token);
        readAt = performance.now();
      }
      o.ca = ca;
      o.headers = { ...o.headers, authorization: `Bearer ${token}` };
    },
  };
}

export interface RequestParams {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export type WatchEvent = { type: string; object: unknown };

export class KubeClient {
  private readonly agent: Agent;

  /** `maxSockets`: requests at once (default 4, a sidecar's; a controller writing for many pods needs more). */
  constructor(
    readonly auth: KubeAuth,
    options: { maxSockets?: number } = {},
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 4 });
  }

  private async options(method: string, path: string, p: RequestParams): Promise<{ url: URL; opts: RequestOptions }> {
    const url = new URL(path, this.auth.server);
    for (const [k, v] of Object.entries(p.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: RequestOptions = {
      method,
      agent: this.agent,
      headers: { accept: 'application/json', ...(p.body !== undefined ? { 'content-type': p.contentType ?? 'application/json' } : {}) },
    };
    await this.auth.apply(opts);
    return { url, opts };
  }

  /** One request; resolves with the parsed JSON body, rejects with {@link HttpError} or a network error. */
  async request<T>(method: string, path: string, p: RequestParams = {}): Promise<T> {
    const { url, opts } = await this.options(method, path, p);
    const payload = p.body === undefined ? undefined : JSON.stringify(p.body);
    return new Promise<T>((resolve, reject) => {
      const req = request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          const code = res.statusCode ?? 0;
          if (code < 200 || code >= 300) {
            reject(new HttpError(code, text, res.headers as Record<string, string>));
            return;
          }
          try {
            resolve((text ? JSON.parse(text) : null) as T);
          } catch (e) {
            reject(e);
          }
        });
      });
      req.setTimeout(p.timeoutMs ?? 30_000, () =>
        req.destroy(Object.assign(new Error(`no answer within ${p.timeoutMs ?? 30_000} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * A watch (`?watch=1`): resolves once the server accepted it (200), with a function that stops it; rejects with
   * {@link HttpError} or a network error. `onEvent` gets each event; `onDone` once, when the stream ends
   * (`null`: closed by the server) or fails. The server ends a watch after `timeoutSeconds`; a connection silent
   * for longer than that (plus the same again, at most 30 s) is dead (peer gone without FIN/RST) and is ended with
   * an error, so the caller reconnects instead of waiting forever.
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (e: WatchEvent) => void,
    onDone: (err: unknown) => void,
  ): Promise<() => void> {
    const { url, opts } = await this.options('GET', path, { query: { ...query, watch: 1 } });
    opts.agent = false; // a long-lived stream: keep it out of the request pool
    const serverTimeoutMs = Number(query.timeoutSeconds ?? 1800) * 1000;
    const idleMs = serverTimeoutMs + Math.min(30_000, serverTimeoutMs);
    return new Promise((resolve, reject) => {
      let stopped = false;
      let done = false;
      const finish = (err: unknown): void => {
        if (done || stopped) return;
        done = true;
        onDone(err);
      };
      const req = request(url, opts, (res) => {
        const code = res.statusCode ?? 0;
        if (code !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new HttpError(code, Buffer.concat(chunks).toString(), res.headers as Record<string, string>)));
          return;
        }
        resolve(() => {
          stopped = true;
          req.destroy();
        });
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) {
              try {
                onEvent(JSON.parse(line) as WatchEvent);
              } catch (e) {
                finish(e);
                req.destroy();
                return;
              }
            }
            nl = buf.indexOf('\n');
          }
        });
        res.on('end', () => finish(null));
        res.on('error', (e) => finish(e));
        res.on('close', () => finish(null));
      });
      req.setTimeout(idleMs, () =>
        req.destroy(Object.assign(new Error(`watch ${path}: no data for ${idleMs} ms: connection presumed dead`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (e) => {
        reject(e);
        finish(e);
      });
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
