/**
 * One test file's cluster (the test kit's: a real kube-apiserver and, when asked, the TargetGroupBinding CRD and
 * the fake ELBv2 endpoint), with a sidecar per pod on it. Call `useCluster()` at the top level of a test file; read
 * `api`/`elb` inside tests (they exist once beforeAll ran).
 *
 *   const cluster = useCluster({ elb: true, targetGroupBindings: true });
 *   const { pod, sidecar } = await cluster.podWithSidecar('ns', cluster.awsFlags(TG1));
 */
import { type KubeCluster, serviceAndBinding, type UseClusterOptions, useCluster as useKubeCluster } from '@draingate/testkit/cluster';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../../src/internal/logger.js';
import type { Sidecar } from '../../src/internal/sidecar.js';
import { createPod, type PodOptions } from './pods.js';
import { runSidecar, type SidecarKubeConfig } from './sidecar.js';

export { serviceAndBinding };

export interface TestCluster extends KubeCluster {
  /**
   * Creates pod `name` (default `web`) in `namespace` with the admin KubeConfig and starts a sidecar for it
   * (closed after the test), configured by `args` through the real flag parser.
   */
  podWithSidecar(namespace: string, args: string[], options?: PodWithSidecarOptions): Promise<{ pod: V1Pod; sidecar: Sidecar }>;
  /**
   * The flags of an aws-source sidecar against the fake ELBv2. With `targetGroup`: that group and target port 8080
   * explicitly; without: the target groups come from TargetGroupBindings.
   */
  awsFlags(targetGroup?: string): string[];
}

export interface PodWithSidecarOptions {
  name?: string;
  pod?: PodOptions;
  /** The pod IP the sidecar is told (default `10.0.0.5`). */
  ip?: string;
  /** What the sidecar authenticates with (default: the admin KubeConfig). */
  kubeConfig?: SidecarKubeConfig;
  logger?: Logger;
}

export function useCluster(options: UseClusterOptions = {}): TestCluster {
  const kube = useKubeCluster(options);
  const cluster: TestCluster = {
    get api() {
      return kube.api;
    },
    get elb() {
      return kube.elb;
    },
    admin: kube.admin,
    defer: kube.defer,
    async podWithSidecar(namespace, args, o = {}) {
      const name = o.name ?? 'web';
      const pod = await createPod(cluster.admin(), namespace, name, o.pod);
      const ref = { name, namespace, uid: pod.metadata?.uid as string, ...(o.ip ? { ip: o.ip } : {}) };
      const sidecar = await runSidecar(o.kubeConfig ?? cluster.admin(), ref, args, o.logger);
      cluster.defer(() => sidecar.close());
      return { pod, sidecar };
    },
    awsFlags: (targetGroup) => [
      '--source=aws',
      '--region=eu-west-1',
      `--aws-endpoint=${cluster.elb.url}`,
      ...(targetGroup ? [`--target-group-arn=${targetGroup}`, '--target-port=8080'] : []),
    ],
  };
  return cluster;
}
