/**
 * The kubelet simulator's API calls besides its pod list, watch and status writes: its credentials (with a pooled
 * agent), the fake Nodes it creates, and kubelet's final DELETE of a terminal pod.
 */
import { type Agent, request } from 'node:https';
import { authFromKubeConfig, HttpError, type KubeAuth, type KubeClient } from '@draingate/sidecar/internal';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * The KubeConfig's credentials, keeping the caller's agent: client-node's applyToHTTPSOptions sets a new Agent on
 * every request, a TLS handshake per write (most of the simulator's CPU at 300 pods).
 */
export function keepAliveAuth(kc: KubeConfig): KubeAuth {
  const kcAuth = authFromKubeConfig(kc);
  return {
    server: kcAuth.server,
    async apply(o) {
      const agent = o.agent;
      await kcAuth.apply(o);
      o.agent = agent;
    },
  };
}

/** Creates the fake Nodes (Ready, an InternalIP) unless they exist: the EndpointSlice controller skips pods without one. */
export async function createNodes(api: KubeClient, nodes: readonly string[]): Promise<void> {
  for (const [i, name] of nodes.entries()) {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const body = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
      status: {
        // TEST-NET-1 (RFC 5737): documentation addresses, never contacted.
        addresses: [{ type: 'InternalIP', address: `192.0.2.${(i % 254) + 1}` }],
        capacity: { pods: '1000', cpu: '64', memory: '256Gi' },
        allocatable: { pods: '1000', cpu: '64', memory: '256Gi' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
      },
    };
    await api.request('POST', '/api/v1/nodes', { body }).catch((e: unknown) => {
      if (!(e instanceof HttpError && e.code === 409)) throw e;
    });
  }
}

/**
 * DELETE with grace 0 and a uid precondition, as kubelet deletes a terminal pod. Not through KubeClient: Node
 * sends a DELETE body without Content-Length (no chunked encoding for DELETE), and the API server ignores it.
 */
export async function deletePod(auth: KubeAuth, agent: Agent, path: string, uid: string): Promise<void> {
  const payload = JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } });
  const opts = {
    method: 'DELETE',
    agent,
    headers: { accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  };
  await auth.apply(opts);
  await new Promise<void>((resolve, reject) => {
    const req = request(new URL(path, auth.server), opts, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) resolve();
        else reject(new HttpError(code, body, res.headers as Record<string, string>));
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('DELETE: no answer within 30 s')));
    req.on('error', reject);
    req.end(payload);
  });
}
