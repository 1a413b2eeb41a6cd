/**
 * Notices a pod whose containers are ready but whose target the load balancer does not know, and says so once (log,
 * Warning event, `/v1/status` `registrationStalled`). Behind the AWS Load Balancer Controller (ip targets) that
 * state can last forever: the controller registers a pod that is not Ready once its containers are ready
 * (pkg/backend/endpoint_resolver.go), but it is told about pod changes only for pods that carry its own readiness
 * gate (controllers/elbv2/eventhandlers/pod.go). A pod held back only by another gate (draingate's) turns
 * ContainersReady without any EndpointSlice change, so nothing makes the controller look again until unrelated
 * churn or its 10 h resync. Its gate is missing when the namespace was labelled after the pod was created, or the
 * controller's webhook (failurePolicy Ignore) was down then (docs/deploy/pod_readiness_gate.md).
 */
import { formatDuration } from '@draingate/core/internal';
import type { V1Pod } from '@kubernetes/client-node';
import type { SourceKind } from './config.js';
import type { EventRecorder } from './kube.js';
import type { Logger } from './logger.js';
import type { Observation } from './sources.js';

/**
 * How many poll intervals after ContainersReady the target may stay unregistered before the sidecar says so: 60 s at
 * the default 5 s. The controller requeues a pod that waits for its gate every 15 s (pkg/config/controller_config.go),
 * so 60 s is several of its chances.
 */
export const REGISTRATION_STALL_POLLS = 12;

const ALBC_GATE_PREFIX = 'target-health.elbv2.k8s.aws/';

/** `/v1/status` `registrationStalled`: the pod is ContainersReady, its target is still unknown to the LB. */
export interface RegistrationStall {
  /** When the sidecar first saw the pod ContainersReady (RFC 3339). */
  containersReadySince: string;
  message: string;
}

export class RegistrationWatch {
  /** When the containers became ready: epoch ms (shown) and `performance.now()` ms (what the stall counts from). */
  #readySince: { at: number; ms: number } | null = null;
  #stall: RegistrationStall | null = null;

  constructor(
    private readonly source: SourceKind,
    private readonly afterMs: number,
    private readonly log: Logger,
    private readonly recorder: EventRecorder,
  ) {}

  /** The stall, while it lasts (null once the target is registered or the pod is no longer starting). */
  get stall(): RegistrationStall | null {
    return this.#stall;
  }

  /** Each version of the pod: when did its containers become ready? */
  pod(pod: V1Pod): void {
    const ready = pod.status?.conditions?.some((c) => c.type === 'ContainersReady' && c.status === 'True') ?? false;
    if (!ready) this.#readySince = null;
    else this.#readySince ??= { at: Date.now(), ms: performance.now() };
  }

  /**
   * Each observation while the pod is starting. The `app` source is not watched: it knows a target only once health
   * checks arrive, which an NLB starts minutes after registration (NLB target-group health-check docs).
   */
  observe(o: Observation, pod: V1Pod | null): void {
    if (o.registered) {
      if (this.#stall) this.log.info('the load balancer knows the target now: registration is no longer stalled');
      this.#stall = null;
      return;
    }
    const since = this.#readySince;
    if (this.source === 'app' || this.#stall || since === null || performance.now() - since.ms < this.afterMs) return;
    const gates = (pod?.spec?.readinessGates ?? []).map((g) => g.conditionType).filter((t) => t.startsWith(ALBC_GATE_PREFIX));
    const why =
      gates.length === 0
        ? `The AWS Load Balancer Controller registers a pod that is not Ready once its containers are ready, but it reconciles on pod changes only for pods carrying its own readiness gate (${ALBC_GATE_PREFIX}<binding>), and this pod has none: held back by another gate, it may never be registered. Label the namespace elbv2.k8s.aws/pod-readiness-gate-inject=enabled (the Service and its TargetGroupBinding must exist and the controller's webhook be up when pods are created), then recreate the pod (kubectl rollout restart), or do not declare a gate that waits for the load balancer.`
        : `The pod carries the controller's gate (${gates.join(', ')}), so the controller should have registered it: check the controller's logs and the TargetGroupBinding.`;
    this.#stall = {
      containersReadySince: new Date(since.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      message: `ContainersReady for ${formatDuration(Math.round(performance.now() - since.ms))} but not registered in the load balancer (${o.detail}). ${why}`,
    };
    this.log.warn(this.#stall.message);
    this.recorder.once('TargetNotRegistered', this.#stall.message.slice(0, 1000), 'Warning');
  }

  /** The pod left the starting phase: nothing is stalled any more. */
  clear(): void {
    this.#stall = null;
  }
}
