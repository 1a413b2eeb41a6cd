/**
 * One test file's cluster for the controller's tests: the test kit's (a real kube-apiserver with the
 * TargetGroupBinding CRD and the fake ELBv2 endpoint), started in beforeAll and stopped in afterAll. Read `api`/`elb`
 * inside tests.
 */
import { type KubeCluster, serviceAndBinding as kitServiceAndBinding, useCluster as useKubeCluster } from '@draingate/testkit/cluster';
import type { KubeConfig } from '@kubernetes/client-node';

export { condition, GATE, podEvents, readPod, waitFor } from '@draingate/testkit/cluster';

export type TestCluster = KubeCluster;

export function useCluster(): TestCluster {
  return useKubeCluster({ elb: true, targetGroupBindings: true });
}

/** A Service `name` selecting `app=<app>` (port 80 → `targetPort`) and a TargetGroupBinding `name` of `targetGroup` to it (ip targets). */
export function serviceAndBinding(
  kc: KubeConfig,
  namespace: string,
  app: string,
  targetGroup: string,
  options: { targetPort: string | number; name?: string },
): Promise<void> {
  return kitServiceAndBinding(kc, namespace, app, targetGroup, { targetType: 'ip', ...options });
}
