import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate } from '@draingate/core';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sidecar } from '../src/internal/sidecar.js';
import { type ApiServer, installTargetGroupBindingCrd, startApiServer } from './helpers/apiserver.js';
import { FakeElbv2 } from './helpers/fake-elbv2.js';
import { condition, createPod, GATE, readPod, waitFor } from './helpers/pods.js';
import { getJson, runSidecar, TG1 } from './helpers/sidecar.js';

// End to end: the app (draingate core) + the sidecar (aws source) + a real kube-apiserver + the ELBv2 endpoint.
let api: ApiServer;
let elb: FakeElbv2;
let sidecar: Sidecar | null = null;
beforeAll(async () => {
  api = await startApiServer();
  await installTargetGroupBindingCrd(api.adminKubeConfig());
  elb = await new FakeElbv2().start();
}, 150_000);
afterAll(async () => {
  await sidecar?.close();
  await elb?.stop();
  await api?.stop();
}, 30_000);

describe('core + sidecar + kube-apiserver + ELBv2', () => {
  it('the gate turns True only once the target is healthy; on deletion preStop and core both wait for the sidecar', async () => {
    const kc = api.adminKubeConfig();
    const ns = 'e2e';
    const pod = await createPod(kc, ns, 'web', { nodeName: 'node-1', grace: 60, ports: [{ name: 'http', containerPort: 8080 }] });
    await kc.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'elbv2.k8s.aws',
      version: 'v1beta1',
      namespace: ns,
      plural: 'targetgroupbindings',
      body: {
        apiVersion: 'elbv2.k8s.aws/v1beta1',
        kind: 'TargetGroupBinding',
        metadata: { name: 'web' },
        spec: { targetGroupARN: TG1, targetType: 'ip', serviceRef: { name: 'web', port: 80 } },
      },
    });
    elb.set(TG1, '10.0.0.5', 8080, 'initial');
    sidecar = await runSidecar(kc, { name: 'web', namespace: ns, uid: pod.metadata?.uid as string }, [
      '--source=aws',
      '--region=eu-west-1',
      `--aws-endpoint=${elb.url}`,
    ]);

    // The app: a real core gate on a real server, reading the sidecar while draining.
    const gate = createGate({
      signals: false,
      exit: false,
      logger: false,
      metrics: false,
      minDelay: '200ms',
      maxDelay: '20s',
      gracePeriod: '60s',
      sidecarUrl: sidecar.url,
      sidecarPollInterval: '100ms',
    });
    const server = http.createServer((_req, res) => res.end('ok'));
    gate.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    gate.ready();
    const port = (server.address() as AddressInfo).port;
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    // Kubernetes readiness = the app's probe AND the gate: the gate stays False while the LB says `initial`.
    await waitFor('the gate written False', async () => condition(await readPod(kc, ns, 'web'), GATE)?.reason === 'TargetNotHealthy');
    await new Promise((r) => setTimeout(r, 600));
    expect(condition(await readPod(kc, ns, 'web'), GATE)?.status).toBe('False');
    elb.set(TG1, '10.0.0.5', 8080, 'healthy');
    await waitFor('gate True', async () => condition(await readPod(kc, ns, 'web'), GATE)?.status === 'True');

    // Deletion: kubelet calls the preStop hook (the sidecar's /v1/prestop); the app drains too.
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web', namespace: ns, gracePeriodSeconds: 60 });
    const t0 = Date.now();
    const prestop = getJson<{ ended: string }>(`${sidecar.url}/v1/prestop`);
    const drained = gate.shutdown('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    expect(gate.state).toBe('draining'); // the target is still healthy in the LB
    expect(sidecar.status()).toMatchObject({ phase: 'draining', deregistered: false });
    elb.set(TG1, '10.0.0.5', 8080, 'draining'); // ALBC deregistered the target
    const r = await prestop;
    expect(r.body.ended).toBe('deregistered');
    const result = await drained;
    expect(result.evidence).toMatchObject({ kind: 'sidecar', strength: 'strong' });
    expect(result.evidence?.afterMs).toBeGreaterThanOrEqual(1500 + 300 - 100); // draining seen + 300 ms margin
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(gate.status().sidecar?.last?.deregistered).toBe(true);
    await gate.dispose();
    server.close();
  }, 90_000);
});
