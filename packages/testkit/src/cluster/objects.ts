import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod, type V1PodCondition } from '@kubernetes/client-node';
import { ensureNamespace } from '../k8s/apiserver.js';

/** The readiness-gate condition type the sidecar and the controller write by default. */
export const GATE = 'draingate.io/lb-ready';

export interface ServiceAndBindingOptions {
  targetPort: string | number;
  /** The binding's `targetType`; omitted: the binding has none (the sidecar's `--target-type` applies). `instance`: a NodePort Service (node port 30080). */
  targetType?: 'ip' | 'instance';
  /** The Service's and the binding's name (default `app`). */
  name?: string;
}

/**
 * A Service selecting `app=<app>` (port 80 → `targetPort`) and a TargetGroupBinding of `targetGroup` to it, as the
 * AWS Load Balancer Controller's users create them.
 */
export async function serviceAndBinding(
  kc: KubeConfig,
  namespace: string,
  app: string,
  targetGroup: string,
  options: ServiceAndBindingOptions,
): Promise<void> {
  const name = options.name ?? app;
  await ensureNamespace(kc, namespace);
  const instance = options.targetType === 'instance';
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace,
    body: {
      metadata: { name },
      spec: {
        ...(instance ? { type: 'NodePort' } : {}),
        selector: { app },
        ports: [{ name: 'http', port: 80, targetPort: options.targetPort, ...(instance ? { nodePort: 30080 } : {}) }],
      },
    },
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
      spec: {
        targetGroupARN: targetGroup,
        ...(options.targetType ? { targetType: options.targetType } : {}),
        serviceRef: { name, port: 80 },
      },
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

/**
 * Polls `fn` every 50 ms until it returns a truthy value (a throw counts as not yet, and is named if time runs out);
 * fails after `timeoutMs`.
 */
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
