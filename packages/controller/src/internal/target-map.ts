import { Failure, type KubeClient, matchBinding, type OwnTarget, type TargetGroupBinding } from '@draingate/sidecar/internal';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { Informer } from './informer.js';

/** A pod's targets, or why it has none (yet). */
export type PodTargets = { targets: OwnTarget[] } | { problem: string } | { waiting: string };

/**
 * Which target groups each pod is in: the TargetGroupBindings (elbv2.k8s.aws/v1beta1) and Services of the cluster,
 * each kept by one informer (never one request per pod), matched as the sidecar matches them (Service selector,
 * `serviceRef.port`, target port). ip targets only: the target is `podIP:port`.
 */
export class TargetMap {
  readonly bindings: Informer<TargetGroupBinding & { metadata?: { namespace?: string } }>;
  readonly services: Informer<V1Service>;
  /** Why the bindings cannot be listed (the CRD is missing, RBAC), or null. */
  bindingsProblem: string | null = null;

  constructor(
    kube: KubeClient,
    namespace: string | null,
    /** Bindings or Services of `namespace` changed: its pods' targets may have. */
    onChange: (namespace: string) => void,
    onProblem: (message: string) => void,
  ) {
    const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    const changed = (o: { metadata?: { namespace?: string } }): void => onChange(o.metadata?.namespace ?? '');
    // A list calls onUpsert before its informer counts as synced, and resolve() answers "waiting" until both are:
    // once one syncs, every namespace with a binding is looked up again, or a pod registered before the list ended
    // would wait for its targets until the next change to a binding or Service.
    const synced = (): void => {
      if (!this.synced) return;
      for (const ns of new Set([...this.bindings.values()].map((b) => b.metadata?.namespace ?? ''))) onChange(ns);
    };
    this.bindings = new Informer(kube, {
      path: `/apis/elbv2.k8s.aws/v1beta1${ns}/targetgroupbindings`,
      what: 'targetgroupbindings.elbv2.k8s.aws',
      onUpsert: changed,
      onDelete: changed,
      onSynced: () => {
        this.bindingsProblem = null;
        synced();
      },
      onFailure: (message, notFound) => {
        this.bindingsProblem = notFound
          ? 'the TargetGroupBinding CRD (elbv2.k8s.aws/v1beta1) is not installed: install the AWS Load Balancer Controller, or bind the target group with a TargetGroupBinding'
          : message;
        onProblem(this.bindingsProblem);
      },
    });
    this.services = new Informer(kube, {
      path: `/api/v1${ns}/services`,
      what: 'services',
      onUpsert: changed,
      onDelete: changed,
      onSynced: synced,
      onFailure: (message) => onProblem(message),
    });
  }

  get synced(): boolean {
    return this.bindings.synced && this.services.synced;
  }

  start(): void {
    this.bindings.start();
    this.services.start();
  }

  stop(): void {
    this.bindings.stop();
    this.services.stop();
  }

  /** The pod's targets: one per TargetGroupBinding whose Service selects it. */
  resolve(pod: V1Pod): PodTargets {
    const ns = pod.metadata?.namespace ?? '';
    const ip = pod.status?.podIP;
    if (!this.bindings.synced)
      return this.bindingsProblem ? { problem: this.bindingsProblem } : { waiting: 'TargetGroupBindings not listed yet' };
    if (!ip) return { waiting: 'the pod has no IP yet' };
    const targets: OwnTarget[] = [];
    for (const tgb of this.bindings.values()) {
      if (tgb.metadata?.namespace !== ns) continue;
      const svc = this.services.get(ns, tgb.spec?.serviceRef?.name ?? '');
      if (!svc) continue;
      try {
        const m = matchBinding(tgb, svc, pod, { targetType: 'ip', targetPort: null });
        if (!m) continue;
        if (m.targetType !== 'ip') {
          return {
            problem: `${m.from} has instance targets: a pod gate cannot follow node:NodePort targets (no per-pod target, and kube-proxy sends health checks only to Ready pods); use ip targets, or no draingate gate`,
          };
        }
        targets.push({ targetGroupArn: m.targetGroupArn, id: ip, port: m.port, from: m.from });
      } catch (e) {
        return { problem: e instanceof Failure ? e.message : String(e) };
      }
    }
    if (targets.length === 0) {
      return {
        problem: `no TargetGroupBinding in namespace ${ns} points at a Service that selects this pod: check the Service selector and the binding's serviceRef`,
      };
    }
    return { targets };
  }
}
