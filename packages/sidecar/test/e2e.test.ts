import { startGatedApp } from '@draingate/testkit/cluster';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { serviceAndBinding, useCluster } from './helpers/cluster.js';
import { condition, GATE, readPod, waitForGate } from './helpers/pods.js';
import { prestop, TG1 } from './helpers/sidecar.js';

// End to end: the app (draingate core) + the sidecar (aws source) + a real kube-apiserver + the ELBv2 endpoint.
const cluster = useCluster({ elb: true, targetGroupBindings: true });

describe('core + sidecar + kube-apiserver + ELBv2', () => {
  it('the gate turns True only once the target is healthy; on deletion preStop and core both wait for the sidecar', async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'e2e';
    await serviceAndBinding(kc, ns, 'web', TG1, { targetPort: 8080, targetType: 'ip' });
    elb.set(TG1, '10.0.0.5', 8080, 'initial');
    const { sidecar } = await cluster.podWithSidecar(ns, cluster.awsFlags(), {
      pod: { nodeName: 'node-1', grace: 60, ports: [{ name: 'http', containerPort: 8080 }] },
    });

    // The app: a real core gate on a real server, reading the sidecar while draining.
    const app = await startGatedApp(sidecar.url);
    const { gate } = app;
    expect((await fetch(`http://127.0.0.1:${app.port}/readyz`)).status).toBe(200);

    // Kubernetes readiness = the app's probe AND the gate: the gate stays False while the LB says `initial`.
    await waitForGate(kc, ns, 'web', 'the gate written False', (c) => c.reason === 'TargetNotHealthy');
    await new Promise((r) => setTimeout(r, 600));
    expect(condition(await readPod(kc, ns, 'web'), GATE)?.status).toBe('False');
    elb.set(TG1, '10.0.0.5', 8080, 'healthy');
    await waitForGate(kc, ns, 'web', 'gate True', (c) => c.status === 'True');

    // Deletion: kubelet calls the preStop hook (the sidecar's /v1/prestop); the app drains too.
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web', namespace: ns, gracePeriodSeconds: 60 });
    const t0 = Date.now();
    const answer = prestop(sidecar);
    const drained = gate.shutdown('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    expect(gate.state).toBe('draining'); // the target is still healthy in the LB
    expect(sidecar.status()).toMatchObject({ phase: 'draining', deregistered: false });
    elb.set(TG1, '10.0.0.5', 8080, 'draining'); // ALBC deregistered the target
    const r = await answer;
    expect(r.body.ended).toBe('deregistered');
    const result = await drained;
    expect(result.evidence).toMatchObject({ kind: 'sidecar', strength: 'strong' });
    expect(result.evidence?.afterMs).toBeGreaterThanOrEqual(1500 + 300 - 100); // draining seen + 300 ms margin
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(gate.status().sidecar?.last?.deregistered).toBe(true);
    await app.close();
  }, 90_000);
});
