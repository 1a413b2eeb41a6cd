import { startGatedApp } from '@draingate/testkit/cluster';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { Controller } from '../src/internal/controller.js';
import { condition, GATE, readPod, serviceAndBinding, useCluster, waitFor } from './helpers/cluster.js';
import { createPods, leaderOf, podIp, runController, TG1 } from './helpers/controllers.js';

// The API every replica serves: who may ask, and an app (a real core gate) that drains on the controller's evidence.
const cluster = useCluster();
let running: Controller[] = [];
afterEach(async () => {
  for (const c of running) await c.close();
  running = [];
});

describe('controller API', () => {
  it('answers only sources in --allow-cidr and never a forwarded request; /livez answers everybody', async () => {
    const kc = cluster.admin();
    const narrow = await runController(kc, cluster.elb.url, 'api-narrow', [
      '--lease-name=api-narrow',
      '--namespace=none',
      '--allow-cidr=10.0.0.0/8',
    ]);
    const open = await runController(kc, cluster.elb.url, 'api-open', ['--lease-name=api-open', '--namespace=none']);
    running.push(narrow, open);
    const refused = await fetch(`${narrow.url}/v1/pods/web/web-0/status`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toMatch(/127\.0\.0\.1 is outside --allow-cidr/);
    expect((await fetch(`${narrow.url}/metrics`)).status).toBe(403);
    expect((await fetch(`${narrow.url}/livez`)).status).toBe(200);
    // Loopback is in the default ranges; a request through a proxy or load balancer is not served.
    await waitFor('informers synced', async () => (await fetch(`${open.url}/readyz`)).status === 200);
    expect((await fetch(`${open.url}/v1/pods/web/web-0/status`)).status).toBe(404);
    const forwarded = await fetch(`${open.url}/v1/pods/web/web-0/status`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(forwarded.status).toBe(403);
    expect((await fetch(`${open.url}/v1/pods/web/web-0/status`, { method: 'POST' })).status).toBe(405);
    const metrics = await (await fetch(`${open.url}/metrics`)).text();
    expect(metrics).toMatch(/draingate_controller_status_requests_total\{code="404"\} 1/);
    expect(metrics).toMatch(/draingate_controller_leader \d/);
  });

  it("a core gate whose sidecarUrl is the controller's per-pod URL drains on the controller's evidence (kind sidecar)", async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'api-e2e';
    await serviceAndBinding(kc, ns, 'web', TG1, { targetPort: 8080 });
    elb.set(TG1, podIp(0), 8080, 'healthy');
    await createPods(kc, ns, 'web', 1, 60);
    const a = await runController(kc, elb.url, 'e2e-a', [`--namespace=${ns}`, '--lease-name=e2e', '--propagation-bound=300ms']);
    const b = await runController(kc, elb.url, 'e2e-b', [`--namespace=${ns}`, '--lease-name=e2e', '--propagation-bound=300ms']);
    running.push(a, b);
    const leader = await leaderOf([a, b]);
    const follower = leader === a ? b : a;
    await waitFor('gate True', async () => condition(await readPod(kc, ns, 'web-0'), GATE)?.status === 'True');

    // The app asks the follower (any replica behind the Service may answer).
    const app = await startGatedApp(`${follower.url}/v1/pods/${ns}/web-0/status`);
    const { gate } = app;
    expect((await fetch(`http://127.0.0.1:${app.port}/readyz`)).status).toBe(200);

    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web-0', namespace: ns, gracePeriodSeconds: 60 });
    const drained = gate.shutdown('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    expect(gate.state).toBe('draining'); // the target is still healthy in the LB
    elb.set(TG1, podIp(0), 8080, 'draining'); // ALBC deregistered the target
    const result = await drained;
    expect(result.evidence).toMatchObject({ kind: 'sidecar', strength: 'strong' });
    expect(gate.status().sidecar?.last?.deregistered).toBe(true);
    expect(gate.status().sidecar?.error).toBeNull();
    await app.close();
  });
});
