/**
 * One test file's cluster: a real kube-apiserver (and, when asked, the TargetGroupBinding CRD and the fake ELBv2
 * endpoint), started in beforeAll and stopped in afterAll, plus per-test clean-up. Call `useCluster()` at the top
 * level of a test file; read `api`/`elb` inside tests (they exist once beforeAll ran).
 *
 *   const cluster = useCluster({ elb: true, targetGroupBindings: true });
 *   const { pod, sidecar } = await cluster.podWithSidecar('ns', cluster.awsFlags(TG1));
 */
import { FakeElbv2 } from '@draingate/testkit/elbv2';
import { type ApiServer, ensureNamespace, installTargetGroupBindingCrd, startApiServer } from '@draingate/testkit/k8s';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Logger } from '../../src/internal/logger.js';
import type { Sidecar } from '../../src/internal/sidecar.js';
import { createPod, type PodOptions } from './pods.js';
import { runSidecar, type SidecarKubeConfig } from './sidecar.js';

export interface TestCluster {
  readonly api: ApiServer;
  /** The fake ELBv2 endpoint (only with `elb: true`). */
  readonly elb: FakeElbv2;
  /** The admin (system:masters) KubeConfig. */
  admin(): KubeConfig;
  /** Runs `fn` after the current test; the last registered runs first. */
  defer(fn: () => unknown): void;
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

export function useCluster(options: { elb?: boolean; targetGroupBindings?: boolean } = {}): TestCluster {
  let api: ApiServer | undefined;
  let elb: FakeElbv2 | undefined;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    api = await startApiServer();
    if (options.targetGroupBindings) await installTargetGroupBindingCrd(api.adminKubeConfig());
    if (options.elb) elb = await new FakeElbv2().start();
  }, 150_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await elb?.stop();
    await api?.stop();
  }, 30_000);

  const cluster: TestCluster = {
    get api(): ApiServer {
      if (!api) throw new Error('the apiserver is not started: use cluster.api inside tests (beforeAll starts it)');
      return api;
    },
    get elb(): FakeElbv2 {
      if (!elb) throw new Error('no fake ELBv2: pass useCluster({ elb: true })');
      return elb;
    },
    admin: () => cluster.api.adminKubeConfig(),
    defer: (fn) => {
      cleanups.push(fn);
    },
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

/**
 * A Service selecting `app=<app>` (port 80 → `targetPort`) and a TargetGroupBinding of `targetGroup` to it, as the
 * AWS Load Balancer Controller's users create them. `instance`: a NodePort Service (node port 30080).
 * `targetType` omitted: the binding has none (the sidecar's `--target-type` applies).
 */
export async function serviceAndBinding(
  kc: KubeConfig,
  namespace: string,
  app: string,
  targetGroup: string,
  options: { targetPort: string | number; targetType?: 'ip' | 'instance' },
): Promise<void> {
  await ensureNamespace(kc, namespace);
  const instance = options.targetType === 'instance';
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace,
    body: {
      metadata: { name: app },
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
      metadata: { name: app },
      spec: {
        targetGroupARN: targetGroup,
        ...(options.targetType ? { targetType: options.targetType } : {}),
        serviceRef: { name: app, port: 80 },
      },
    },
  });
}
