import { ensureNamespace } from '@draingate/testkit/k8s';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { Backoff, kubeFailure, parseRetryAfter } from '../src/internal/failures.js';
import { HttpError, KubeClient } from '../src/internal/kubeclient.js';
import { useCluster } from './helpers/cluster.js';
import { waitFor, waitForGate } from './helpers/pods.js';
import { TG1 } from './helpers/sidecar.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

// Failure handling: the API server going away (through a proxy the test cuts), 429 Retry-After, backoff shape.
const cluster = useCluster({ elb: true });

describe('API server unreachable', () => {
  it('keeps the last state, retries with growing jittered backoff, and picks up what it missed once back', async () => {
    const { api } = cluster;
    const admin = cluster.admin();
    const ns = 'unreachable';
    const proxy = await new TcpProxy(Number(new URL(api.url).port)).start();
    cluster.defer(() => proxy.stop());
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'proxied', server: proxy.url, caData: api.caData, skipTLSVerify: false }],
      users: [{ name: 'admin', token: api.adminToken }],
      contexts: [{ name: 'proxied', cluster: 'proxied', user: 'admin' }],
      currentContext: 'proxied',
    });
    cluster.elb.set(TG1, '10.0.0.5', 8080, 'healthy');
    const { sidecar } = await cluster.podWithSidecar(ns, cluster.awsFlags(TG1), { pod: { nodeName: 'node-1' }, kubeConfig: kc });
    await waitForGate(admin, ns, 'web', 'gate True', (c) => c.status === 'True');
    // The patch's answer may still be on its way back through the proxy: cut only once the sidecar has it.
    await waitFor('the sidecar to know its gate is True', () => sidecar.status().gate.status === 'True');

    proxy.disconnect();
    // Meanwhile the pod is deleted: the sidecar cannot see it yet.
    await admin.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web', namespace: ns, gracePeriodSeconds: 60 });
    await new Promise((r) => setTimeout(r, 7000));
    const st = sidecar.status();
    expect(st.gate.status).toBe('True'); // last known state kept
    expect(st.phase).toBe('ready');
    expect(st.lastError?.message).toMatch(/API server unreachable/);
    // Backoff 500 ms × 2^n × [0.5, 1]: a handful of attempts in 7 s (not hundreds), the gaps growing. Connections
    // opened within 100 ms of each other belong to one attempt.
    const attempts = proxy.refused.filter((t, i, all) => i === 0 || t - (all[i - 1] as number) > 100);
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
    const seen = `attempts at +${attempts.map((t) => t - (attempts[0] as number)).join(', +')} ms`;
    expect(attempts.length, seen).toBeGreaterThanOrEqual(3);
    expect(attempts.length, seen).toBeLessThanOrEqual(8);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i], seen).toBeGreaterThanOrEqual(0.75 * (gaps[i - 1] as number));
    expect(gaps.at(-1), seen).toBeGreaterThanOrEqual(1000);

    proxy.reconnect();
    await waitFor('deletion seen after reconnecting', () => sidecar.status().phase === 'draining', 30_000);
    expect(sidecar.status().draining?.trigger).toBe('deletion');
  }, 60_000);
});

describe('429 and Retry-After', () => {
  it('a 429 from the API server carries its Retry-After into the backoff', () => {
    const e = new HttpError(429, '{"kind":"Status","message":"Too many requests, please try again later."}', {
      'retry-after': '3',
    });
    const f = kubeFailure(e, 'patch pods/status', 'ns');
    expect(f.kind).toBe('throttled');
    expect(f.retryAfterMs).toBe(3000);
    const b = new Backoff(500, 30_000, () => 0);
    expect(b.next(f.retryAfterMs)).toBe(3000); // Retry-After wins over a shorter backoff
    expect(b.next(null)).toBe(500); // attempt 2: 1000 × 0.5
  });

  it('Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-11-21T10:00:00Z');
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeNull();
  });

  it('backoff doubles, is capped and jittered into [0.5, 1] of the step', () => {
    const lo = new Backoff(500, 4000, () => 0);
    const hi = new Backoff(500, 4000, () => 1);
    expect([1, 2, 3, 4, 5].map(() => lo.next())).toEqual([250, 500, 1000, 2000, 2000]);
    expect([1, 2, 3, 4, 5].map(() => hi.next())).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});

describe('a watch whose connection went silent', () => {
  it('ends with an error once nothing arrived for longer than the watch timeout, instead of hanging forever', async () => {
    const { api } = cluster;
    await ensureNamespace(cluster.admin(), 'silent');
    const proxy = await new TcpProxy(Number(new URL(api.url).port)).start();
    cluster.defer(() => proxy.stop());
    const client = new KubeClient({
      server: proxy.url,
      apply: async (o) => {
        o.ca = Buffer.from(api.caData, 'base64');
        o.headers = { ...o.headers, authorization: `Bearer ${api.adminToken}` };
      },
    });
    cluster.defer(() => client.close());
    let done: { err: unknown } | null = null;
    // The server would end this watch after 2 s; through the black hole that end never arrives.
    const stop = await client.watch(
      '/api/v1/namespaces/silent/pods',
      { timeoutSeconds: 2 },
      () => {},
      (err) => {
        done = { err };
      },
    );
    cluster.defer(stop);
    proxy.blackhole();
    const ended = await waitFor('the watch to end', () => done, 20_000);
    expect(String(ended.err)).toMatch(/no data/);
  }, 30_000);
});

describe('gate writes that keep failing', () => {
  it('back off between attempts even while new observations keep arriving (a poll does not cancel the backoff)', async () => {
    const { api } = cluster;
    const admin = cluster.admin();
    const ns = 'no-status-patch';
    const token = await api.tokenFor(ns, 'draingate-sidecar');
    // Everything but "patch pods/status": each gate write is refused with 403.
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'partial' },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch'] },
          { apiGroups: [''], resources: ['events'], verbs: ['create'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'partial' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'partial' },
        subjects: [{ kind: 'ServiceAccount', name: 'draingate-sidecar', namespace: ns }],
      },
    });
    // albc: an observation every 200 ms (the helper's --poll-interval), each one wanting the gate written.
    const { sidecar } = await cluster.podWithSidecar(ns, ['--source=albc'], { kubeConfig: api.kubeConfigForToken(token) });
    await waitFor('a refused gate write', () => /patch pods\/status/.test(sidecar.status().lastError?.message ?? ''));
    await new Promise((r) => setTimeout(r, 4000));
    const text = await (await fetch(`${sidecar.url}/metrics`)).text();
    const refused = Number(/draingate_sidecar_gate_writes_total\{outcome="forbidden"\} (\d+)/.exec(text)?.[1] ?? 0);
    // Backoff 500 ms × 2^n × [0.5, 1]: at most 6 attempts in these ~4 s; one per poll would be about 20.
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(refused, text).toBeLessThanOrEqual(6);
  }, 60_000);
});
