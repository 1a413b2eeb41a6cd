import { formatDuration } from '@draingate/core/internal';
import type { V1Pod } from '@kubernetes/client-node';
import { ConditionSync, ConditionWriter, type DesiredCondition } from './condition.js';
import type { SidecarConfig } from './config.js';
import { Deregistration, type RecordedDeregistration } from './deregistration.js';
import { ErrorReport, type Failure } from './failures.js';
import { EventRecorder, type EventSource, type PodFeed, type PodFeedHooks, type PodNews, PodWatcher } from './kube.js';
import type { KubeClient } from './kubeclient.js';
import type { Logger } from './logger.js';
import type { EngineMetrics } from './metrics.js';
import { type DrainTrigger, newDraining, type PhaseChange, PhaseMachine } from './phases.js';
import { drainBudgetWarning, type PrestopResult } from './prestop.js';
import { PrestopAnswers } from './prestop-answers.js';
import { REGISTRATION_STALL_POLLS, RegistrationWatch } from './registration-watch.js';
import { type Poller, type PollerHooks, SourcePoller } from './source-poller.js';
import type { Observation, Source } from './sources.js';
import { iso, type SidecarStatusBody, statusBody } from './status.js';

/**
 * The process-wide things a pod's engine uses; it owns none of them (the wiring closes them). The sidecar gives a
 * `source` (polled by the engine's own SourcePoller) and lets the engine watch its pod; a controller, which holds
 * one engine per pod, gives a `poller` and a `feed` instead: views onto one informer and one poll per target group.
 */
export interface PodEngineDeps {
  config: SidecarConfig;
  kube: KubeClient;
  /** This pod's source of target health, polled every `config.pollIntervalMs` (the sidecar). */
  source?: Source;
  /** Or where the observations come from, made with the engine's hooks (a controller). */
  poller?: (hooks: PollerHooks) => Poller;
  /** Where the pod comes from; default: a {@link PodWatcher} of its own (GET + watch of this one pod). */
  feed?: (hooks: PodFeedHooks) => PodFeed;
  log: Logger;
  metrics: EngineMetrics;
  /** Fail-open counts from here (epoch ms); default: when the engine was made (a sidecar starts with its pod). */
  startedAt?: number;
  /** Who records the Events; default the sidecar. */
  events?: EventSource;
  /** Whether the engine may write the pod's condition now; default always (a controller: only while it leads). */
  active?: () => boolean;
  /** Writes of False only over the pod version last seen (ConditionWriter `guardFalse`): for a view that may lag. */
  guardFalseWrites?: boolean;
  /** Waits for a write slot before each condition write (ConditionSync `pace`): a controller's API budget. */
  paceWrites?: (wish: () => DesiredCondition) => Promise<void>;
  /** Once per drain, when the API first showed every target gone (a controller records it for its followers). */
  onDeregistrationStarted?: (record: RecordedDeregistration) => void;
}

const WAITING: DesiredCondition = { status: 'False', reason: 'WaitingForTarget', message: 'the sidecar has not observed the target yet' };

/**
 * Everything the sidecar keeps for one pod, and the rules that move it between phases (phases.ts): it follows the
 * pod (PodWatcher), looks at the source (SourcePoller), says what the readiness-gate condition should be
 * (ConditionSync) and answers `/v1/prestop` (PrestopAnswers). One instance per pod: the sidecar has one, a
 * controller would hold one per pod.
 */
export class PodEngine {
  readonly #c: SidecarConfig;
  readonly #log: Logger;
  readonly #metrics: EngineMetrics;
  readonly #phases = new PhaseMachine((change) => this.#onPhaseChange(change));
  readonly #errors: ErrorReport;
  readonly #recorder: EventRecorder;
  readonly #watcher: PodFeed;
  readonly #condition: ConditionSync;
  readonly #poller: Poller;
  readonly #prestop: PrestopAnswers;
  readonly #registration: RegistrationWatch;
  readonly #deregistration: Deregistration;
  /** When the engine's pod started, on the monotonic clock (fail-open counts from it). */
  readonly #startedAtMs: number;
  /** What the condition should say; written once there is something to say (an observation, a failure, ...). */
  #desired: DesiredCondition = WAITING;
  #closed = false;

  constructor(deps: PodEngineDeps) {
    const { config: c, kube, log, metrics } = deps;
    this.#c = c;
    this.#log = log;
    this.#metrics = metrics;
    this.#startedAtMs = performance.now() - (deps.startedAt === undefined ? 0 : Math.max(0, Date.now() - deps.startedAt));
    this.#errors = new ErrorReport(log);
    const ref = { name: c.pod.name, namespace: c.pod.namespace, uid: c.pod.uid };
    const onEvent = (reason: string): void => metrics.events.inc({ reason });
    this.#recorder = new EventRecorder(kube, ref, c.pod.nodeName, log, onEvent, deps.events);
    const feedHooks: PodFeedHooks = { onPod: (pod, news) => this.#onPod(pod, news), onFailure: (f) => this.#onKubeFailure(f) };
    this.#watcher = deps.feed?.(feedHooks) ?? new PodWatcher(kube, ref, feedHooks.onPod, feedHooks.onFailure);
    const writer = new ConditionWriter(kube, ref, c.conditionType, { guardFalse: deps.guardFalseWrites ?? false });
    this.#condition = new ConditionSync(writer, metrics, log, this.#errors, deps.active, deps.paceWrites ?? null);
    const hooks: PollerHooks = {
      wanted: () => this.#wantsPolling(),
      context: () => ({
        pod: this.#watcher.pod,
        podFailure: this.#watcher.pod ? null : this.#watcher.lastFailure,
        draining: this.#phases.draining !== null,
      }),
      onObservation: (o) => this.#onObservation(o),
      onFailure: (f) => this.#onSourceFailure(f),
    };
    const source = deps.source;
    if (deps.poller) this.#poller = deps.poller(hooks);
    else if (source) this.#poller = new SourcePoller(source, c.pollIntervalMs, hooks);
    else throw new Error('draingate: a pod engine needs a source or a poller');
    const kind = this.#poller.source.kind;
    this.#deregistration = new Deregistration({
      config: c,
      poller: () => this.#poller,
      phases: this.#phases,
      recorder: this.#recorder,
      log,
      metrics,
      onDeregistered: () => this.#prestop.end('deregistered'),
      onStarted: deps.onDeregistrationStarted ?? (() => {}),
    });
    this.#registration = new RegistrationWatch(kind, REGISTRATION_STALL_POLLS * c.pollIntervalMs, log, this.#recorder);
    this.#prestop = new PrestopAnswers({
      config: c,
      phases: this.#phases,
      feed: this.#watcher,
      poller: () => this.#poller,
      errors: this.#errors,
      recorder: this.#recorder,
      log,
      metrics,
      evidenceAvailable: () => this.#evidenceAvailable(),
      closed: () => this.#closed,
    });
  }

  get events(): readonly { reason: string; message: string; type: string }[] {
    return this.#recorder.emitted;
  }

  start(): void {
    this.#watcher.start();
    this.#armFailOpen();
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
    this.#phases.enter(newDraining(this.#phases.name, trigger), `draining (${trigger})`);
    this.#log.info({ deadline: iso(this.#prestop.deadline()) }, `draining (${trigger}): watching the target until it is deregistered`);
    this.#poller.request();
  }

  /** `GET /v1/prestop`: enters draining and resolves when the wait ends. */
  waitPrestop(): Promise<PrestopResult> {
    this.startDraining('prestop');
    const p = this.#prestop.wait();
    this.#poller.request(); // a wait in progress is a reason to poll
    return p;
  }

  settled(): Promise<void> {
    return this.#prestop.settled();
  }

  status(): SidecarStatusBody {
    return statusBody({
      source: this.#c.source,
      conditionType: this.#c.conditionType,
      condition: this.#condition.writer.current,
      phase: this.#phases.state,
      deadline: () => this.#prestop.deadline(),
      observation: this.#poller.last,
      lastError: this.#errors.last,
      evidenceAvailable: this.#evidenceAvailable(),
      writesStopped: this.#condition.writer.stopped,
      registrationStalled: this.#registration.stall,
      deregistration: this.#deregistration.contract(this.#phases.draining, this.#evidenceAvailable()),
    });
  }

  /** Writes what the engine wishes and polls if it wants to: after a controller replica became the leader. */
  resume(): void {
    this.#condition.reconcile();
    this.#poller.request();
  }

  /**
   * A deregistration start recorded outside this engine (a controller's leader writes it on the pod, so that its
   * followers, and the replica that takes over, count the propagation bound from the same moment). Taken while the
   * pod is draining when this engine saw no start, or a later one.
   */
  adoptDeregistration(record: RecordedDeregistration): void {
    const d = this.#phases.draining;
    if (!this.#closed && d) this.#deregistration.adopt(d, record);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#phases.close();
    this.#watcher.stop();
    this.#poller.close();
    this.#condition.close();
    this.#prestop.close();
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
    return this.#watcher.deleting || this.#prestop.count > 0 || phase.trigger === 'signal';
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
    if (o.gone) this.#deregistration.started(phase, o);
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
    if (first) {
      const warning = drainBudgetWarning(pod, this.#c.appDrainBudgetMs);
      if (warning) this.#log.warn(warning);
    }
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
}
