import { formatDuration } from '@draingate/core/internal';
import type { SidecarConfig } from './config.js';
import type { ErrorReport } from './failures.js';
import type { EventRecorder, PodFeed } from './kube.js';
import type { Logger } from './logger.js';
import type { EngineMetrics } from './metrics.js';
import type { PhaseMachine } from './phases.js';
import {
  MonotonicDeadline,
  type PrestopEnd,
  type PrestopResult,
  PrestopWaits,
  prestopDeadline,
  prestopDetail,
  prestopEnd,
} from './prestop.js';
import type { Poller } from './source-poller.js';

/** What one pod's `/v1/prestop` answers read of the pod's engine (its own parts). */
export interface PrestopAnswersDeps {
  config: SidecarConfig;
  phases: PhaseMachine;
  feed: PodFeed;
  poller: () => Poller;
  errors: ErrorReport;
  recorder: EventRecorder;
  log: Logger;
  metrics: EngineMetrics;
  /** The source can tell deregistration now (else a wait ends on the fixed delay). */
  evidenceAvailable: () => boolean;
  /** The engine is closed. */
  closed: () => boolean;
}

/**
 * One pod's `/v1/prestop`: the waits (prestop.ts) under the pod's rules (deregistered, the deletion deadline minus
 * the app's drain budget, or the fixed delay without evidence), what each answer does after it (metric, log), and
 * the way back out of a drain that no deletion follows.
 */
export class PrestopAnswers {
  readonly #d: PrestopAnswersDeps;
  readonly #waits: PrestopWaits;
  readonly #deadlineClock = new MonotonicDeadline();

  constructor(deps: PrestopAnswersDeps) {
    this.#d = deps;
    const { config: c, phases, feed, errors } = deps;
    this.#waits = new PrestopWaits({
      check: (begun) =>
        prestopEnd(phases.draining, begun, {
          deadline: this.#deadlineClock.at(this.deadline(), feed.deleting, phases.draining),
          evidenceAvailable: deps.evidenceAvailable(),
          fallbackDelayMs: c.fallbackDelayMs,
        }),
      detail: (ended) =>
        prestopDetail(ended, {
          noEvidence: deps.poller().forbidden ?? errors.last?.message ?? `${deps.poller().source.kind} cannot tell deregistration`,
          fallbackDelayMs: c.fallbackDelayMs,
          appDrainBudgetMs: c.appDrainBudgetMs,
        }),
      answered: (r) => this.#onAnswered(r),
    });
  }

  /** Waits in progress. */
  get count(): number {
    return this.#waits.count;
  }

  /** When a wait must answer at the latest (epoch ms): {@link prestopDeadline} of the pod and this drain. */
  deadline(): number {
    return prestopDeadline(this.#d.feed.pod, this.#d.phases.draining?.startedAt ?? Date.now(), this.#d.config.appDrainBudgetMs);
  }

  /** One more wait; resolves with its answer. */
  wait(): Promise<PrestopResult> {
    return this.#waits.wait();
  }

  /** Ends every wait now with `ended` (e.g. `deregistered`). */
  end(ended: PrestopEnd): void {
    this.#waits.end(ended);
  }

  /** Resolves once no wait is in progress. */
  settled(): Promise<void> {
    return this.#waits.settled();
  }

  close(): void {
    this.#waits.close();
  }

  #onAnswered({ ended, waitedMs }: PrestopResult): void {
    this.#d.metrics.prestopSeconds.observe({ ended }, waitedMs / 1000);
    this.#d.log.info(`/v1/prestop answered after ${formatDuration(waitedMs)}: ${ended}`);
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
    const { phases, feed } = this.#d;
    const d = phases.draining;
    const stray = (): boolean =>
      d !== null &&
      phases.state === d &&
      d.trigger === 'prestop' &&
      !d.signalled &&
      this.#waits.count === 0 &&
      !feed.deleting &&
      !this.#d.closed();
    if (!stray() || feed.gone !== null) return;
    await feed.read(); // the engine's onPod sees a deletionTimestamp, if any
    if (!d || !stray() || feed.gone !== null) return;
    phases.enter({ name: d.before }, `a /v1/prestop wait ended (${ended}) on a pod that is not being deleted`);
    const message = `a /v1/prestop wait ended (${ended}) but the pod is not being deleted (no deletionTimestamp): back to ${d.before}, deregistered reset to false (a stray call, or the kubelet ran preStop to restart the app container, e.g. after a failed liveness probe)`;
    this.#d.log.warn(message);
    this.#d.recorder.once('PrestopWithoutDeletion', message, 'Warning');
    this.#d.poller().request(); // back in starting: polls again, once a failed poll's backoff has passed
  }
}
