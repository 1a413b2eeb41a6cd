import type { LbType, SidecarDeregistration } from '@draingate/core';
import { formatDuration, LB_TYPES } from '@draingate/core/internal';
import type { SidecarConfig } from './config.js';
import type { EventRecorder } from './kube.js';
import type { Logger } from './logger.js';
import type { EngineMetrics } from './metrics.js';
import type { Draining, PhaseMachine } from './phases.js';
import type { Poller } from './source-poller.js';
import type { Observation } from './sources.js';

/**
 * The app source's `gone` is the app's own LB nodes failing their health checks (core's evidence, read back), not
 * the LB's API: it gets the short margin it always had, not a load balancer type's propagation bound.
 */
export const APP_SOURCE_MARGIN_MS = 5000;

/** A deregistration start recorded outside this engine (a controller's leader writes it on the pod). */
export interface RecordedDeregistration {
  /** When the API first showed every target of the pod gone (epoch ms). */
  startedAt: number;
  /** The load balancer type the recorder knew, or null. */
  lbType: LbType | null;
}

/** What the deregistration part of a pod's engine works with (the engine's own parts). */
export interface DeregistrationDeps {
  config: SidecarConfig;
  poller: () => Poller;
  phases: PhaseMachine;
  recorder: EventRecorder;
  log: Logger;
  metrics: EngineMetrics;
  /** The propagation bound passed: `deregistered: true` (ends the `/v1/prestop` waits). */
  onDeregistered(): void;
  /** The API first showed every target gone (aws source only), once per drain. */
  onStarted(record: RecordedDeregistration): void;
}

/**
 * One pod's deregistration while it drains: when the API first showed every target gone (`goneSince`), the
 * propagation bound after it (by load balancer type), `deregistered` once it passed, and the contract's
 * `deregistration` object (docs/sidecar-contract.md). The timer belongs to the draining phase.
 */
export class Deregistration {
  /** The type a recorded start carried (a follower has no observation of its own). */
  recordedLbType: LbType | null = null;
  private readonly c: SidecarConfig;
  private readonly poller: () => Poller;

  constructor(private readonly deps: DeregistrationDeps) {
    this.c = deps.config;
    this.poller = deps.poller;
  }

  /** An observation while draining said every target is gone: deregistration started now (once per drain). */
  started(d: Draining, o: Observation): void {
    if (d.goneSince !== null) return;
    d.goneSince = Date.now();
    const bound = this.bound();
    if (!bound.typeKnown) {
      const problem = this.poller().source.lbTypeProblem ?? 'no answer';
      this.deps.recorder.once(
        'LoadBalancerTypeUnknown',
        `cannot tell ALB from NLB (${problem}): assuming the longest propagation bound, ${formatDuration(bound.ms)}; set --lb-type, or allow elasticloadbalancing:DescribeTargetGroups`,
        'Warning',
      );
    }
    this.deps.log.info(
      { lbType: o.lbType ?? null, propagationBoundMs: bound.ms },
      `every target is draining/unused/gone (${o.detail}): deregistration started; deregistered once the ${formatDuration(bound.ms)} propagation bound has passed`,
    );
    this.deps.phases.after(bound.ms, () => this.#mark());
    if (this.poller().source.readsLbApi) this.deps.onStarted({ startedAt: d.goneSince, lbType: this.lbType() });
  }

  /** A start recorded elsewhere: taken when this drain saw none, or a later one; the bound counts from it. */
  adopt(d: Draining, record: RecordedDeregistration): void {
    if (d.goneSince !== null && d.goneSince <= record.startedAt) return;
    this.recordedLbType = record.lbType;
    d.goneSince = record.startedAt;
    if (d.deregisteredAt !== null) return;
    this.deps.phases.after(Math.max(0, record.startedAt + this.bound().ms - Date.now()), () => this.#mark());
  }

  #mark(): void {
    const d = this.deps.phases.draining;
    if (!d || d.deregisteredAt !== null) return;
    d.deregisteredAt = Date.now();
    this.deps.metrics.deregistered.set(1);
    this.deps.recorder.once(
      'Deregistered',
      `target deregistered from every target group and the ${formatDuration(this.bound().ms)} propagation bound passed (${this.poller().last?.detail ?? ''})`,
    );
    this.deps.log.info('deregistered: the load balancer no longer sends new requests here');
    this.deps.onDeregistered();
  }

  /** `--lb-type`, else what the source told (aws: the target groups' protocol), else what a record carried. */
  lbType(): LbType | null {
    return this.c.lbType ?? this.poller().last?.lbType ?? this.recordedLbType;
  }

  /**
   * How long after the API first showed every target gone LB nodes may still route here: `--propagation-bound`, else
   * the load balancer type's (core's LB_TYPES); an unknown type gets the longest bound (`typeKnown: false`).
   */
  bound(): { ms: number; typeKnown: boolean } {
    if (this.c.propagationBoundMs !== null) return { ms: this.c.propagationBoundMs, typeKnown: true };
    if (!this.poller().source.readsLbApi) return { ms: APP_SOURCE_MARGIN_MS, typeKnown: true };
    const type = this.lbType();
    if (type !== null) return { ms: LB_TYPES[type].propagationBoundMs, typeKnown: true };
    return { ms: Math.max(...Object.values(LB_TYPES).map((t) => t.propagationBoundMs)), typeKnown: false };
  }

  /** What the API told about this pod's deregistration, for core (docs/sidecar-contract.md). */
  contract(draining: Draining | null, evidenceAvailable: boolean): SidecarDeregistration {
    const goneSince = draining?.goneSince ?? null;
    const readsLbApi = this.poller().source.readsLbApi;
    return {
      observable: readsLbApi && evidenceAvailable,
      // To the millisecond: core adds the bound to it (the seconds-only iso() would shorten it by up to 1 s).
      startedAt: readsLbApi && goneSince !== null ? new Date(goneSince).toISOString() : null,
      lbType: this.lbType(),
      propagationBoundMs: this.bound().ms,
    };
  }
}
