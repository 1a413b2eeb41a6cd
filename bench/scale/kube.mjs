// The benchmark's own Kubernetes plumbing: the sidecar's small client (keep-alive, plain JSON) with the admin
// token, a list + watch loop, and a service-account directory so that controllers and sidecars authenticate as
// they do in a pod (in-cluster: token file + ca.crt), which keeps @kubernetes/client-node out of their memory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { authFromKubeConfig, KubeClient } from '@draingate/sidecar/internal';

/** @param {import('@draingate/testkit/k8s').ApiServer} api */
export function adminClient(api) {
  const kcAuth = authFromKubeConfig(api.adminKubeConfig());
  // client-node's applyToHTTPSOptions sets a new Agent per request: keep the client's pooled one.
  return new KubeClient({
    server: kcAuth.server,
    async apply(o) {
      const agent = o.agent;
      await kcAuth.apply(o);
      o.agent = agent;
    },
  });
}

/** A directory like /var/run/secrets/kubernetes.io/serviceaccount with the admin token, and the in-cluster env. */
export function serviceAccountDir(api, dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), api.adminToken, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), Buffer.from(api.caData, 'base64'));
  return { dir, env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(api.url).port } };
}

/**
 * Lists `path` then watches it, passing every object to `onObject(type, object)` ('ADDED' for listed ones);
 * reconnects when the watch ends, lists again after an error. Returns a stop function.
 */
export function listWatch(kube, path, query, onObject) {
  let stopped = false;
  let abort = null;
  const loop = async () => {
    let rv = '';
    for (let round = 0; !stopped && round < 100_000; round++) {
      try {
        if (!rv) {
          const l = await kube.request('GET', path, { query: { ...query, limit: 5000 } });
          for (const o of l.items ?? []) onObject('ADDED', o);
          rv = l.metadata?.resourceVersion ?? '';
        }
        await new Promise((resolve, reject) => {
          kube
            .watch(
              path,
              { ...query, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300 },
              ({ type, object }) => {
                if (object?.metadata?.resourceVersion) rv = object.metadata.resourceVersion;
                if (type === 'ERROR') {
                  rv = '';
                  return;
                }
                if (type !== 'BOOKMARK') onObject(type, object);
              },
              (err) => (err ? reject(err) : resolve()),
            )
            .then((a) => {
              abort = () => {
                a();
                resolve();
              };
              if (stopped) abort();
            }, reject);
        });
      } catch {
        rv = '';
        if (!stopped) await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const done = loop();
  return async () => {
    stopped = true;
    abort?.();
    await done;
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
