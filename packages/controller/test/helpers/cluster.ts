/**
 * One test file's cluster, on the shared test kit: a real kube-apiserver with the TargetGroupBinding CRD and the fake
 * ELBv2 endpoint, started in beforeAll and stopped in afterAll. Read `api`/`elb` inside tests.
 */
import { FakeElbv2 } from '@draingate/testkit/elbv2';
import { type ApiServer, ensureNamespace, installTargetGroupBindingCrd, startApiServer } from '@draingate/testkit/k8s';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';

export const GATE = 'draingate.io/lb-ready';

export interface TestCluster {
  readonly api: ApiServer;
  readonly elb: FakeElbv2;
  admin(): KubeConfig;
}

export function useCluster(): TestCluster {
  let api: ApiServer | undefined;
  let elb: FakeElbv2 | undefined;
  beforeAll(async () => {
    api = await startApiServer();
    await installTargetGroupBindingCrd(api.adminKubeConfig());
    elb = await new FakeElbv2().start();
  }, 150_000);
  afterAll(async () => {
    await elb?.stop();
    await api?.stop();
  }, 30_000);
  const cluster: TestCluster = {
    get api(): ApiServer {
      if (!api) throw new Error('the apiserver is not started: use cluster.api inside tests');
      return api;
    },
    get elb(): FakeElbv2 {
      if (!elb) throw new Error('the fake ELBv2 is not started: use cluster.elb inside tests');
      return elb;
    },
    admin: () => cluster.api.adminKubeConfig(),
  };
  return cluster;
}

/** A Service `name` selecting `app=<app>` (port 80 → `targetPort`) and a TargetGroupBinding `name` of `targetGroup` to it. */
export async function serviceAndBinding(
  kc: KubeConfig,
  namespace: string,
  app: string,
  targetGroup: string,
  options: { targetPort: string | number; name?: string },
): Promise<void> {
  const name = options.name ?? app;
  await ensureNamespace(kc, namespace);
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace,
    body: { metadata: { name }, spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: options.targetPort }] } },
  });
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'elbv2.k8s.aws',
    version: 'v1beta1',
    namespace,
    plural: 'targetgroupbindings',
    body: {
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      kind: 'TargetGroupBinding',
      metadata: { name },
      spec: { targetGroupARN: targetGroup, targetType: 'ip', serviceRef: { name, port: 80 } },
    },
  });
}

export async function readPod(kc: KubeConfig, namespace: string, name: string): Promise<V1Pod> {
  return kc.makeApiClient(CoreV1Api).readNamespacedPod({ name, namespace });
}

export function condition(pod: V1Pod, type: string): V1PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** Events recorded for a pod, oldest first. */
export async function podEvents(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<{ reason: string; message: string; type: string }[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', type: e.type ?? '' }));
}

/** Polls `fn` every 50 ms until it returns a truthy value; fails after `timeoutMs` (bounded). */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
