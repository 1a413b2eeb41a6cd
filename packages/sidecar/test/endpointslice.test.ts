/**
 * What a readiness gate does to a Service's endpoints, shown on the real kube-apiserver + kube-controller-manager
 * (deployment, replicaset and endpointslice controllers) with a simulated kubelet: a pod whose containers are ready
 * but whose `draingate.io/lb-ready` gate is False is not Ready, so its EndpointSlice endpoint is `ready: false` (and
 * `serving: false`). kube-proxy sends nothing to such an endpoint, so in ALB/NLB *instance* mode (the LB checks
 * node:NodePort) the gated pod never receives a health check and its gate can never turn True (issue 12, item 1).
 * And a rolling update (maxSurge 1, maxUnavailable 0) waits for the gated new pod before it removes an old one.
 */

import {
  type ApiServer,
  type ControllerManager,
  containersReadyCondition,
  ensureNamespace,
  KubeletSim,
  type PodJson,
  podReady,
  startApiServer,
  startControllerManager,
} from '@draingate/testkit/k8s';
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition, GATE, waitFor, writeConditions } from './helpers/pods.js';

let api: ApiServer | undefined;
let kcm: ControllerManager | undefined;
let sim: KubeletSim | undefined;
const kc = (): KubeConfig => (api as ApiServer).adminKubeConfig();

beforeAll(async () => {
  api = await startApiServer();
  kcm = await startControllerManager(api);
  // Every namespace: this apiserver belongs to this file. The old pod's containers run 3 s after its deletion.
  sim = await KubeletSim.start(api.adminKubeConfig(), { nodes: ['node-a', 'node-b'], terminationDelayMs: 3000 });
}, 210_000);

afterAll(async () => {
  // Each one stops even when the one before it threw (the processes would outlive the test run).
  try {
    await sim?.stop();
  } finally {
    try {
      await kcm?.stop();
    } finally {
      await api?.stop();
    }
  }
}, 40_000);

/** What the last `until` probe saw (set by probes that can say), for the timeout message. */
let seen = '';

/** `waitFor`, whose timeout also shows what was seen last, the simulator's counters and kube-controller-manager's log. */
async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 45_000): Promise<NonNullable<T>> {
  seen = '';
  try {
    return await waitFor(what, fn, timeoutMs);
  } catch (e) {
    const log = kcm
      ?.logs(200)
      .split('\n')
      .filter((l) => !l.includes('controller is disabled'))
      .slice(-40)
      .join('\n');
    throw new Error(`${(e as Error).message}\nlast seen: ${seen}\nkubelet-sim: ${JSON.stringify(sim?.stats)}\n${log}`);
  }
}

function deployment(name: string): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          readinessGates: [{ conditionType: GATE }],
          terminationGracePeriodSeconds: 30,
          containers: [{ name: 'app', image: 'registry.invalid/app:1', ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      },
    },
  };
}

/** The Service `name` (port 80 → 8080) and the Deployment `name`, in namespace `ns`. */
async function deploy(ns: string, name: string): Promise<void> {
  await ensureNamespace(kc(), ns);
  await kc()
    .makeApiClient(CoreV1Api)
    .createNamespacedService({
      namespace: ns,
      body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
  await kc()
    .makeApiClient(AppsV1Api)
    .createNamespacedDeployment({ namespace: ns, body: deployment(name) });
}

async function pods(ns: string, app: string): Promise<V1Pod[]> {
  return (
    await kc()
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })
  ).items;
}

interface Endpoint {
  pod: string;
  address: string | undefined;
  node: string | undefined;
  ready: boolean | undefined;
  serving: boolean | undefined;
  terminating: boolean | undefined;
}

/** Every endpoint of the Service's EndpointSlices (made by the endpointslice controller), by pod name. */
async function endpoints(ns: string, service: string): Promise<Map<string, Endpoint>> {
  const slices = await kc()
    .makeApiClient(DiscoveryV1Api)
    .listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${service}` });
  const out = new Map<string, Endpoint>();
  for (const s of slices.items) {
    expect(s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
    for (const e of s.endpoints ?? []) {
      const pod = e.targetRef?.name ?? '?';
      out.set(pod, {
        pod,
        address: e.addresses[0],
        node: e.nodeName,
        ready: e.conditions?.ready,
        serving: e.conditions?.serving,
        terminating: e.conditions?.terminating,
      });
    }
  }
  return out;
}

async function setGate(ns: string, pod: string, status: 'True' | 'False'): Promise<void> {
  await writeConditions(kc(), ns, pod, [{ type: GATE, status, reason: status === 'True' ? 'TargetHealthy' : 'TargetNotHealthy' }]);
}

const containersReady = (p: V1Pod): boolean => condition(p, 'ContainersReady')?.status === 'True';
const ready = (p: V1Pod): boolean => condition(p, 'Ready')?.status === 'True';

describe('kubelet status model (GeneratePodReadyCondition)', () => {
  const pod = (gates: string[]): PodJson => ({
    metadata: { name: 'p', namespace: 'n', uid: 'u', resourceVersion: '1' },
    spec: { containers: [{ name: 'app' }, { name: 'proxy' }], readinessGates: gates.map((conditionType) => ({ conditionType })) },
  });

  it('Ready is ContainersReady AND every gate True, with kubelet reasons and messages', () => {
    const up = containersReadyCondition(pod([]), true);
    expect(podReady(pod([]), [], up)).toEqual({ type: 'Ready', status: 'True' });
    expect(podReady(pod([GATE]), [], up)).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: `corresponding condition of pod readiness gate "${GATE}" does not exist.`,
    });
    expect(
      podReady(
        pod([GATE, 'b.example/x']),
        [
          { type: GATE, status: 'False' },
          { type: 'b.example/x', status: 'True' },
        ],
        up,
      ),
    ).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: `the status of pod readiness gate "${GATE}" is not "True", but False`,
    });
    expect(podReady(pod([GATE]), [{ type: GATE, status: 'True' }], up).status).toBe('True');
    // Containers not ready: Ready copies ContainersReady, whatever the gates say.
    const down = containersReadyCondition(pod([GATE]), false);
    expect(podReady(pod([GATE]), [{ type: GATE, status: 'True' }], down)).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app proxy]',
    });
  });
});

describe('EndpointSlice of pods behind a readiness gate (real kube-controller-manager)', () => {
  it('a pod whose gate is False is not a ready endpoint; it becomes one when the gate turns True', async () => {
    const ns = 'gated';
    await deploy(ns, 'web');

    // The deployment controller made a ReplicaSet, the replicaset controller two pods; the simulator bound them to
    // the fake nodes and started them: containers ready, Ready held back by the gate.
    const started = await until('2 pods with ContainersReady True', async () => {
      const ps = await pods(ns, 'web');
      return ps.length === 2 && ps.every(containersReady) ? ps : null;
    });
    const names = started.map((p) => p.metadata?.name as string).sort();
    for (const p of started) {
      expect(p.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
      expect(['node-a', 'node-b']).toContain(p.spec?.nodeName);
      expect(p.status?.phase).toBe('Running');
      expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });
    }
    const [rs] = (await kc().makeApiClient(AppsV1Api).listNamespacedReplicaSet({ namespace: ns })).items;
    expect(rs?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });

    // The gate is False (as the sidecar writes it before the target is healthy); the kubelet computes Ready again.
    for (const n of names) await setGate(ns, n, 'False');
    const falseGate = `the status of pod readiness gate "${GATE}" is not "True", but False`;
    await until('Ready recomputed from the False gate', async () => {
      const ps = await pods(ns, 'web');
      return ps.every((p) => condition(p, 'Ready')?.message === falseGate);
    });
    const held = await until('both endpoints listed, not ready', async () => {
      const eps = await endpoints(ns, 'web');
      return names.every((n) => eps.get(n)?.ready === false) ? eps : null;
    });
    for (const p of await pods(ns, 'web')) {
      expect(condition(p, GATE)?.status).toBe('False');
      expect(condition(p, 'ContainersReady')?.status).toBe('True');
      expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady', message: falseGate });
      expect(held.get(p.metadata?.name as string)).toEqual({
        pod: p.metadata?.name,
        address: p.status?.podIP,
        node: p.spec?.nodeName,
        ready: false,
        serving: false,
        terminating: false,
      });
    }
    const [first, second] = names as [string, string];

    // One gate True: that pod, and only that one, turns Ready and becomes a ready endpoint.
    await setGate(ns, first, 'True');
    const one = await until(`${first} a ready endpoint`, async () => {
      const eps = await endpoints(ns, 'web');
      return eps.get(first)?.ready === true ? eps : null;
    });
    expect(one.get(first)).toMatchObject({ ready: true, serving: true, terminating: false });
    expect(one.get(second)).toMatchObject({ ready: false, serving: false, terminating: false });
    expect(ready((await pods(ns, 'web')).find((p) => p.metadata?.name === second) as V1Pod)).toBe(false);

    await setGate(ns, second, 'True');
    await until('both endpoints ready', async () => {
      const eps = await endpoints(ns, 'web');
      return names.every((n) => eps.get(n)?.ready === true) ? eps : null;
    });
    const d = await until('the Deployment counts 2 available replicas', async () => {
      const dep = await kc().makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: ns, name: 'web' });
      return dep.status?.availableReplicas === 2 ? dep : null;
    });
    expect(d.status?.readyReplicas).toBe(2);
  }, 120_000);

  it('a rolling update (maxSurge 1, maxUnavailable 0) removes no old pod until the gated new pod is Ready', async () => {
    const ns = 'rollout';
    const apps = kc().makeApiClient(AppsV1Api);
    await deploy(ns, 'web');
    const old = await until('2 pods started', async () => {
      const ps = await pods(ns, 'web');
      return ps.length === 2 && ps.every(containersReady) ? ps : null;
    });
    const oldNames = old.map((p) => p.metadata?.name as string);
    for (const n of oldNames) await setGate(ns, n, 'True');
    await until('2 available replicas', async () => {
      const dep = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return dep.status?.availableReplicas === 2;
    });

    // Sample the Service's endpoints through the whole rollout.
    let minReady = Number.POSITIVE_INFINITY;
    let sawTerminatingServing = false;
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 2000; i++) {
        const eps = [...(await endpoints(ns, 'web')).values()];
        minReady = Math.min(minReady, eps.filter((e) => e.ready === true).length);
        if (eps.some((e) => e.terminating === true && e.serving === true && e.ready === false)) sawTerminatingServing = true;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    try {
      await apps.patchNamespacedDeployment(
        {
          namespace: ns,
          name: 'web',
          body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.invalid/app:2' }] } } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      const isNew = (p: V1Pod): boolean => !oldNames.includes(p.metadata?.name as string);
      const surge = await until('the surge pod started', async () => {
        const p = (await pods(ns, 'web')).find(isNew);
        return p && containersReady(p) ? p : null;
      });
      const surgeName = surge.metadata?.name as string;
      expect(condition(surge, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });

      // The deployment controller has seen the started, unready pod...
      const during = { replicas: 3, updatedReplicas: 1, availableReplicas: 2, unavailableReplicas: 1 };
      await until('the Deployment counts the surge pod as unavailable', async () => {
        const dep = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
        seen = JSON.stringify(dep.status);
        return Object.entries(during).every(([k, v]) => dep.status?.[k as keyof typeof during] === v);
      });
      // ...and, given 3 s more to act, removes nothing old while the gate is unset.
      await new Promise((r) => setTimeout(r, 3000));
      const now = await pods(ns, 'web');
      expect(now.map((p) => p.metadata?.name).sort()).toEqual([...oldNames, surgeName].sort());
      expect(now.filter((p) => p.metadata?.deletionTimestamp)).toEqual([]);
      const dep = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      expect(dep.status).toMatchObject(during);
      const oldRs = (await apps.listNamespacedReplicaSet({ namespace: ns })).items.filter(
        (rs) => rs.metadata?.name !== surge.metadata?.ownerReferences?.[0]?.name,
      );
      expect(oldRs.map((rs) => rs.spec?.replicas)).toEqual([2]);

      // The gate turns True: one old pod is deleted, a second new pod surges; open its gate too.
      await setGate(ns, surgeName, 'True');
      const second = await until('a second new pod started', async () => {
        const p = (await pods(ns, 'web')).find((x) => isNew(x) && x.metadata?.name !== surgeName);
        return p && containersReady(p) ? p : null;
      });
      await setGate(ns, second.metadata?.name as string, 'True');
      await until('rollout complete: 2 new pods, old ones deleted', async () => {
        const ps = await pods(ns, 'web');
        const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
        seen = JSON.stringify({
          pods: ps.map((p) => [p.metadata?.name, p.status?.phase, condition(p, 'Ready')?.status, p.metadata?.deletionTimestamp]),
          status: d.status,
        });
        return ps.length === 2 && ps.every(isNew) && d.status?.updatedReplicas === 2 && d.status.availableReplicas === 2;
      });
    } finally {
      sampling = false;
      await sampler;
    }
    // maxUnavailable 0 held at the endpoints: never fewer than 2 ready; an old pod drained as terminating + serving.
    expect(minReady).toBe(2);
    expect(sawTerminatingServing).toBe(true);
    expect(sim?.stats.deletes).toBeGreaterThanOrEqual(2);
  }, 150_000);
});
