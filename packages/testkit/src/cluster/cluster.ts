import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { FakeElbv2 } from '../elbv2/fake-elbv2.js';
import { type ApiServer, startApiServer } from '../k8s/apiserver.js';
import { installTargetGroupBindingCrd } from '../k8s/manifests.js';

export interface KubeCluster {
  readonly api: ApiServer;
  /** The fake ELBv2 endpoint (only with `elb: true`). */
  readonly elb: FakeElbv2;
  /** The admin (system:masters) KubeConfig. */
  admin(): KubeConfig;
  /** Runs `fn` after the current test; the last registered runs first. */
  defer(fn: () => unknown): void;
}

export interface UseClusterOptions {
  /** Start the fake ELBv2 endpoint. */
  elb?: boolean;
  /** Install the TargetGroupBinding CRD. */
  targetGroupBindings?: boolean;
}

/**
 * One test file's cluster: a real kube-apiserver (and, when asked, the TargetGroupBinding CRD and the fake ELBv2
 * endpoint), started in beforeAll and stopped in afterAll, plus per-test clean-up (`defer`). Call it at the top
 * level of a test file; read `api`/`elb` inside tests (they exist once beforeAll ran).
 */
export function useCluster(options: UseClusterOptions = {}): KubeCluster {
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
  const cluster: KubeCluster = {
    get api(): ApiServer {
      if (!api) throw new Error('the apiserver is not started: use cluster.api inside tests (beforeAll starts it)');
      return api;
    },
    get elb(): FakeElbv2 {
      if (!options.elb) throw new Error('no fake ELBv2: pass useCluster({ elb: true })');
      if (!elb) throw new Error('the fake ELBv2 is not started: use cluster.elb inside tests (beforeAll starts it)');
      return elb;
    },
    admin: () => cluster.api.adminKubeConfig(),
    defer: (fn) => {
      cleanups.push(fn);
    },
  };
  return cluster;
}
