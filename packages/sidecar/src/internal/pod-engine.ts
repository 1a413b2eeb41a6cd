import type { SidecarDeregistration } from '@draingate/core';
import { formatDuration, LB_TYPES } from '@draingate/core/internal';
import type { V1Pod } from '@kubernetes/client-node';
import { ConditionSync, ConditionWriter, type DesiredCondition } from './condition.js';
import type { SidecarConfig } from './config.js';
import { ErrorReport, type Failure } from './failures.js';
import { EventRecorder, type PodNews, PodWatcher } from './kube.js';
import type { KubeClient } from './kubeclient.js';
import type { Logger } from './logger.js';
import type { SidecarMetrics } from './metrics.js';
import { type Draining, type DrainTrigger, type PhaseChange, PhaseMachine } from './phases.js';
import { MonotonicDeadline, type PrestopEnd, type PrestopResult, PrestopWaits, prestopDeadline, prestopDetail } from './prestop.js';
import { REGISTRATION_STALL_POLLS, RegistrationWatch } from './registration-watch.js';
import { SourcePoller } from './source-poller.js';
import type { Observation, Source } from './sources.js';
import { iso, type SidecarStatusBody, statusBody } from './status.js';

/** The process-wide things a pod's engine uses; it owns none of them (the wiring closes them). */
export interface PodEngineDeps {
  config: SidecarConfig;
  kube: KubeClient;
  /** This pod's source of target health. */
  source: Source;
  log: Logger;
  metrics: SidecarMetrics;
}

/**
 * The app source's `gone` is the app's own LB nodes failing their health checks (core's evidence, read back), not
 * the LB's API: it gets the short margin it always had, not a load balancer type's propagation bound.
 */
const APP_SOURCE_MARGIN_MS = 5000;

const WAITING: DesiredCondition = { status: 'False', reason: 'WaitingForTarget', message: 'the sidecar has not observed the target yet' };

/**
 * Everything the sidecar keeps for one pod, and the rules that move it between phases (phases.ts): it follows the
 * pod (PodWatcher), looks at the source (SourcePoller), says what the readiness-gate condition should be
 * (ConditionSync) and answers `/v1/prestop` (PrestopWaits). One instance per pod: the sidecar has one, a
 * controller would hold one per pod.
 */
export class PodEngine {
  readonly #c: SidecarConfig;
  readonly #log: Logger;
  readonly #metrics: SidecarMetrics;
  readonly #phases = new PhaseMachine((change) => this.#onPhaseChange(change));
  readonly #errors: ErrorReport;
  readonly #recorder: EventRecorder;
  readonly #watcher: PodWatcher;
  readonly #condition: ConditionSync;
  readonly #poller: SourcePoller;
  readonly #waits: PrestopWaits;
  readonly #registration: RegistrationWatch;
  /** When the sidecar started, on the monotonic clock (fail-open counts from it). */
  readonly #startedAtMs = performance.now();
  readonly #deadlineClock = new MonotonicDeadline();
  /** What the condition should say; written once there is something to say (an observation, a failure, ...). */
  #desired: DesiredCondition = WAITING;
  #closed = false;

  constructor({ config: c, kube, source, log, metrics }: PodEngineDeps) {
    this.#c = c;
    this.#log = log;
    this.#metrics = metrics;
    this.#errors = new ErrorReport(log);
    const ref = { name: c.pod.name, namespace: c.pod.namespace, uid: c.pod.uid };
    this.#recorder = new EventRecorder(kube, ref, c.pod.nodeName, log, (reason) => metrics.events.inc({ reason }));
    this.#watcher = new PodWatcher(
      kube,
      ref,
      (pod, news) => this.#onPod(pod, news),
      (f) => this.#onKubeFailure(f),
    );
    this.#condition = new ConditionSync(new ConditionWriter(kube, ref, c.conditionType), metrics, log, this.#errors);
    this.#registration = new RegistrationWatch(source.kind, REGISTRATION_STALL_POLLS * c.pollIntervalMs, log, this.#recorder);
    this.#poller = new SourcePoller(source, c.pollIntervalMs, {
      wanted: () => this.#wantsPolling(),
      context: () => ({
        pod: this.#watcher.pod,
        podFailure: this.#watcher.pod ? null : this.#watcher.lastFailure,
        draining: this.#phases.draining !== null,
      }),
      onObservation: (o) => this.#onObservation(o),
      onFailure: (f) => this.#onSourceFailure(f),
    });
    this.#waits = new PrestopWaits({
      check: (begun) => this.#prestopEnd(begun),
      detail: (ended) =>
        prestopDetail(ended, {
          noEvidence: this.#poller.forbidden ?? this.#errors.last?.message ?? `${source.kind} cannot tell deregistration`,
          fallbackDelayMs: c.fallbackDelayMs,
          appDrainBudgetMs: c.appDrainBudgetMs,
        }),
      answered: (r) => this.#onPrestopAnswered(r),
    });
  }

  get events(): readonly { reason: string; message: string; type: string }[] {
    return this.#recorder.emitted;
  }

  start(): void {
    this.#watcher.start();
    if (this.#c.failOpenAfterMs !== null) {
      this.#log.warn(
        `fail-open is ON: the gate turns True after ${formatDuration(this.#c.failOpenAfterMs)} even without evidence that the load balancer routes here`,
      );
      this.#armFailOpen();
    }
    this.#poller.request();
  }

  /** Enters draining (idempotent); a signal during a drain marks it as the sidecar's last. */
  startDraining(trigger: DrainTrigger): void {
    if (this.#closed) return;
    const d = this.#phases.draining;
    if (d) {
      if (trigger === 'signal') d.signalled = true;
      return;
    }
    const drain: Draining = {
      name: 'draining',
      startedAt: Date.now(),
      startedAtMs: performance.now(),
      trigger,
      before: this.#phases.name === 'ready' ? 'ready' : 'starting',
      signalled: trigger === 'signal',
      goneSince: null,
      deregisteredAt: null,
    };
    this.#phases.enter(drain, `draining (${trigger})`);
    this.#log.info({ deadline: iso(this.#deadline()) }, `draining (${trigger}): watching the target until it is deregistered`);
    this.#poller.request();
  }

  /** `GET /v1/prestop`: enters draining and resolves when the wait ends. */
  waitPrestop(): Promise<PrestopResult> {
    this.startDraining('prestop');
    const p = this.#waits.wait();
    this.#poller.request(); // a wait in progress is a reason to poll
    return p;
  }

  settled(): Promise<void> {
    return this.#waits.settled();
  }

  status(): SidecarStatusBody {
    return statusBody({
      source: this.#c.source,
      conditionType: this.#c.conditionType,
      condition: this.#condition.writer.current,
      phase: this.#phases.state,
      deadline: () => this.#deadline(),
      observation: this.#poller.last,
      lastError: this.#errors.last,
      evidenceAvailable: this.#evidenceAvailable(),
      writesStopped: this.#condition.writer.stopped,
      registrationStalled: this.#registration.stall,
      deregistration: this.#deregistration(),
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#phases.close();
    this.#watcher.stop();
    this.#poller.close();
    this.#condition.close();
    this.#waits.close();
    this.#poller.source.close?.();
  }

  // ------------------------------------------------------------------------------------------- phase side effects

  #onPhaseChange({ from, to }: PhaseChange): void {
    this.#metrics.draining.set(to === 'draining' ? 1 : 0);
    if (from === 'draining') {
      // A drain that ended without a deletion: its evidence must not outlive it; a real deletion records its own.
      this.#metrics.deregistered.set(0);
      this.#recorder.forget('TargetDraining', 'Deregistered');
    }
    if (to === 'starting') this.#armFailOpen();
    else this.#registration.clear();
  }

  /** Fail-open counts from the sidecar's start, also after a return to starting. A timer of the starting phase. */
  #armFailOpen(): void {
    const ms = this.#c.failOpenAfterMs;
    if (ms === null) return;
    this.#phases.after(Math.max(0, this.#startedAtMs + ms - performance.now()), () => this.#failOpen(ms), { unref: true });
  }

  #say(desired: DesiredCondition = this.#desired): void {
    this.#desired = desired;
    this.#condition.want(desired);
  }

  // ------------------------------------------------------------------------------------------------ the source

  #wantsPolling(): boolean {
    if (this.#closed) return false;
    // Wait for the first read of the pod (TargetGroupBindings are matched against its labels), unless it failed.
    if (!this.#watcher.pod && this.#watcher.lastFailure === null) return false;
    const phase = this.#phases.state;
    if (phase.name === 'starting') return true;
    if (phase.name !== 'draining' || phase.goneSince !== null || !this.#poller.source.tellsDeregistration) return false;
    // A stray /v1/prestop on a pod nobody deletes must not poll AWS forever: only while a call waits.
    return this.#watcher.deleting || this.#waits.count > 0 || phase.trigger === 'signal';
  }

  #onObservation(o: Observation): void {
    if (o.registered) this.#recorder.once('TargetRegistered', `the load balancer knows this target: ${o.detail}`);
    const phase = this.#phases.state;
    if (phase.name === 'starting') {
      this.#registration.observe(o, this.#watcher.pod);
      if (o.healthy) {
        this.#phases.enter({ name: 'ready' }, 'target healthy');
        this.#recorder.once('TargetHealthy', `target healthy in the load balancer: ${o.detail}`);
        this.#log.info(`target healthy: ${o.detail}; gate ${this.#c.conditionType} → True`);
        this.#say({ status: 'True', reason: 'TargetHealthy', message: o.detail });
      } else {
        this.#say({ status: 'False', reason: o.registered ? 'TargetNotHealthy' : 'TargetNotRegistered', message: o.detail });
      }
      return;
    }
    this.#say();
    if (phase.name !== 'draining') return;
    if (o.draining) this.#recorder.once('TargetDraining', `the load balancer is draining this target: ${o.detail}`);
    if (o.gone && phase.goneSince === null) {
      phase.goneSince = Date.now();
      const bound = this.#propagationBound();
      if (!bound.typeKnown) {
        const problem = (this.#poller.source as { lbTypeProblem?: string | null }).lbTypeProblem ?? 'no answer';
        this.#recorder.once(
          'LoadBalancerTypeUnknown',
          `cannot tell ALB from NLB (${problem}): assuming the longest propagation bound, ${formatDuration(bound.ms)}; set --lb-type, or allow elasticloadbalancing:DescribeTargetGroups`,
          'Warning',
        );
      }
      this.#log.info(
        { lbType: o.lbType ?? null, propagationBoundMs: bound.ms },
        `every target is draining/unused/gone (${o.detail}): deregistration started; deregistered once the ${formatDuration(bound.ms)} propagation bound has passed`,
      );
      this.#phases.after(bound.ms, () => this.#markDeregistered());
    }
  }

  /**
   * How long after the API first showed every target gone LB nodes may still route here: `--propagation-bound`, else
   * the load balancer type's (core's LB_TYPES); an unknown type gets the longest bound (`typeKnown: false`).
   */
  #propagationBound(): { ms: number; typeKnown: boolean } {
    if (this.#c.propagationBoundMs !== null) return { ms: this.#c.propagationBoundMs, typeKnown: true };
    if (!this.#poller.source.readsLbApi) return { ms: APP_SOURCE_MARGIN_MS, typeKnown: true };
    const type = this.#c.lbType ?? this.#poller.last?.lbType ?? null;
    if (type !== null) return { ms: LB_TYPES[type].propagationBoundMs, typeKnown: true };
    return { ms: Math.max(...Object.values(LB_TYPES).map((t) => t.propagationBoundMs)), typeKnown: false };
  }

  /** What the API told about this pod's deregistration, for core (docs/sidecar-contract.md). */
  #deregistration(): SidecarDeregistration {
    const goneSince = this.#phases.draining?.goneSince ?? null;
    const readsLbApi = this.#poller.source.readsLbApi;
    return {
      observable: readsLbApi && this.#evidenceAvailable(),
      // To the millisecond: core adds the bound to it (the seconds-only iso() would shorten it by up to 1 s).
      startedAt: readsLbApi && goneSince !== null ? new Date(goneSince).toISOString() : null,
      lbType: this.#c.lbType ?? this.#poller.last?.lbType ?? null,
      propagationBoundMs: this.#propagationBound().ms,
    };
  }

  #markDeregistered(): void {
    const d = this.#phases.draining;
    if (!d || d.deregisteredAt !== null) return;
    d.deregisteredAt = Date.now();
    this.#metrics.deregistered.set(1);
    this.#recorder.once(
      'Deregistered',
      `target deregistered from every target group and the ${formatDuration(this.#propagationBound().ms)} propagation bound passed (${this.#poller.last?.detail ?? ''})`,
    );
    this.#log.info('deregistered: the load balancer no longer sends new requests here');
    this.#waits.end('deregistered');
  }

  #onSourceFailure(f: Failure): void {
    this.#errors.record(f);
    if (this.#phases.name === 'starting') {
      const reason = f.kind === 'forbidden' ? 'PermissionDenied' : 'EvidenceUnavailable';
      this.#say({ status: 'False', reason, message: f.message.slice(0, 1000) });
    } else this.#say();
  }

  #evidenceAvailable(): boolean {
    return this.#poller.source.tellsDeregistration && this.#poller.forbidden === null && this.#poller.failures < 3;
  }

  #failOpen(ms: number): void {
    if (this.#phases.name !== 'starting') return;
    this.#phases.enter({ name: 'ready' }, 'fail-open');
    const evidence = this.#poller.last?.detail ?? this.#errors.last?.message ?? 'no observation';
    const message = `no evidence that the load balancer routes here after ${formatDuration(ms)}; gate set True by --fail-open-after (${evidence})`;
    this.#log.warn(`FAIL-OPEN: ${message}`);
    this.#recorder.once('FailOpen', message, 'Warning');
    this.#say({ status: 'True', reason: 'FailOpen', message });
  }

  // ------------------------------------------------------------------------------------------------------ the pod

  #onPod(pod: V1Pod, { first, deletion }: PodNews): void {
    this.#condition.observe(pod);
    this.#registration.pod(pod);
    if (first) this.#checkBudget(pod);
    const cur = this.#condition.writer.current;
    let found: DesiredCondition | null = null;
    // A restarted sidecar finds the condition already True: never back to False, no polling.
    if (cur?.status === 'True' && this.#phases.name === 'starting') {
      this.#phases.enter({ name: 'ready' }, 'condition already True on the pod');
      found = { status: 'True', reason: cur.reason ?? 'TargetHealthy', message: cur.message ?? '' };
    }
    if (deletion) {
      this.startDraining('deletion');
      this.#poller.request();
    }
    // The first poll waits for this first read; albc reads the pod itself, so every update is worth a look.
    if (this.#phases.name === 'starting' && (this.#poller.source.kind === 'albc' || !this.#poller.polledOnce)) this.#poller.request();
    if (found) this.#say(found);
    else this.#condition.reconcile();
  }

  #onKubeFailure(f: Failure): void {
    this.#errors.record(f);
    if (!this.#poller.polledOnce) this.#poller.request();
  }

  /** Once, on the first read of the pod: a drain budget that eats the whole grace period makes /v1/prestop useless. */
  #checkBudget(pod: V1Pod): void {
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (grace * 1000 > this.#c.appDrainBudgetMs) return;
    this.#log.warn(
      `--app-drain-budget (${formatDuration(this.#c.appDrainBudgetMs)}) is not below the pod's terminationGracePeriodSeconds (${formatDuration(grace * 1000)}): /v1/prestop will answer at once, without waiting for the load balancer; raise terminationGracePeriodSeconds or lower --app-drain-budget`,
    );
  }

  // -------------------------------------------------------------------------------------------------- /v1/prestop

  #deadline(): number {
    return prestopDeadline(this.#watcher.pod, this.#phases.draining?.startedAt ?? Date.now(), this.#c.appDrainBudgetMs);
  }

  #prestopEnd(begun: number): Exclude<PrestopEnd, 'closed'> | null {
    const d = this.#phases.draining;
    const now = performance.now();
    if (d !== null && d.deregisteredAt !== null) return 'deregistered';
    if (now >= this.#deadlineClock.at(this.#deadline(), this.#watcher.deleting, d)) return 'deadline';
    if (!this.#evidenceAvailable() && now - (d?.startedAtMs ?? begun) >= this.#c.fallbackDelayMs) return 'fallback-delay';
    return null;
  }

  #onPrestopAnswered({ ended, waitedMs }: PrestopResult): void {
    this.#metrics.prestopSeconds.observe({ ended }, waitedMs / 1000);
    this.#log.info(`/v1/prestop answered after ${formatDuration(waitedMs)}: ${ended}`);
    if (ended !== 'closed') void this.#endDrainWithoutDeletion(ended);
  }

  /**
   * After the last /v1/prestop wait ended: if the pod is still not being deleted (a stray call, or the kubelet
   * running preStop before it restarts the app container, e.g. after a failed liveness probe), go back to the phase
   * before draining. Otherwise the gate could never turn True, and `deregistered` (evidence of a wait nobody follows
   * with a deletion) would end the restarted app's next drain at once. The pod is read afresh first: the watch may
   * lag behind a real deletion. A failed read keeps what the watch saw (going back only makes core wait longer).
   */
  async #endDrainWithoutDeletion(ended: PrestopEnd): Promise<void> {
    const d = this.#phases.draining;
    const stray = (): boolean =>
      d !== null &&
      this.#phases.state === d &&
      d.trigger === 'prestop' &&
      !d.signalled &&
      this.#waits.count === 0 &&
      !this.#watcher.deleting &&
      !this.#closed;
    if (!stray() || this.#watcher.gone !== null) return;
    await this.#watcher.read(); // #onPod sees a deletionTimestamp, if any
    if (!d || !stray() || this.#watcher.gone !== null) return;
    this.#phases.enter({ name: d.before }, `a /v1/prestop wait ended (${ended}) on a pod that is not being deleted`);
    const message = `a /v1/prestop wait ended (${ended}) but the pod is not being deleted (no deletionTimestamp): back to ${d.before}, deregistered reset to false (a stray call, or the kubelet ran preStop to restart the app container, e.g. after a failed liveness probe)`;
    this.#log.warn(message);
    this.#recorder.once('PrestopWithoutDeletion', message, 'Warning');
    this.#poller.request(); // back in starting: polls again, once a failed poll's backoff has passed
  }
}
