import { condition, GATE, readPod, waitFor } from '@draingate/testkit/cluster';
import { ensureNamespace } from '@draingate/testkit/k8s';
import { CoreV1Api, type KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';

export { condition, GATE, readPod, waitFor };

export interface PodOptions {
  labels?: Record<string, string>;
  nodeName?: string;
  extraGates?: string[];
  grace?: number;
  ports?: { name: string; containerPort: number }[];
}

/** Creates a pod with the draingate readiness gate (no kubelet runs: it stays Pending unless tests write status). */
export async function createPod(kc: KubeConfig, namespace: string, name: string, opts: PodOptions = {}): Promise<V1Pod> {
  await ensureNamespace(kc, namespace);
  const core = kc.makeApiClient(CoreV1Api);
  return core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: opts.labels ?? { app: name } },
      spec: {
        ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
        terminationGracePeriodSeconds: opts.grace ?? 30,
        readinessGates: [{ conditionType: GATE }, ...(opts.extraGates ?? []).map((conditionType) => ({ conditionType }))],
        containers: [{ name: 'app', image: 'registry.invalid/app:1', ...(opts.ports ? { ports: opts.ports } : {}) }],
      },
    },
  });
}

/** Writes conditions as another controller (kubelet, ALBC) would: a strategic merge patch on pods/status. */
export async function writeConditions(
  kc: KubeConfig,
  namespace: string,
  name: string,
  conditions: Partial<V1PodCondition>[],
): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const now = `${new Date().toISOString().slice(0, 19)}Z`;
  return core.patchNamespacedPodStatus(
    { name, namespace, body: { status: { conditions: conditions.map((c) => ({ lastTransitionTime: now, ...c })) } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
}

/** Polls the pod until its draingate gate condition exists and passes `ok`; returns the condition. */
export async function waitForGate(
  kc: KubeConfig,
  namespace: string,
  name: string,
  what: string,
  ok: (c: V1PodCondition) => boolean,
  timeoutMs?: number,
): Promise<V1PodCondition> {
  return waitFor(
    what,
    async () => {
      const c = condition(await readPod(kc, namespace, name), GATE);
      return c && ok(c) ? c : null;
    },
    timeoutMs,
  );
}
