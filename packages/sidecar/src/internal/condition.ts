import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { type ErrorReport, type Failure, kubeFailure } from './failures.js';
import { type PodRef, podPath } from './kube.js';
import { HttpError, type KubeClient } from './kubeclient.js';
import type { Logger } from './logger.js';
import type { EngineMetrics } from './metrics.js';
import { RetryTimer } from './retry-timer.js';

// The pod's readiness-gate condition (`draingate.io/lb-ready`): what the sidecar wants it to say, and the writes.
// Not to be confused with the app's lifecycle (core's `Gate`).

export type ConditionStatus = 'True' | 'False';

/** What the sidecar wants the readiness-gate condition to say. */
export interface DesiredCondition {
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** `conflict`: a guarded False write refused (409) because the pod changed since it was seen: retried soon. */
export type WriteResult = 'written' | 'unchanged' | 'stopped' | 'conflict';

/**
 * Writes the readiness-gate condition of one pod: a strategic merge patch on `pods/status` (conditions merge by
 * `type`, so other controllers' conditions stay), with `metadata.uid` as precondition. Skips the write when the
 * condition already says the same; sets `lastTransitionTime` only when the status changes; never writes False
 * over True. Stops for good on 404 (pod gone) or a uid mismatch (the API server answers 422 for that).
 */
export class ConditionWriter {
  /** Why writing stopped for good, or `null`. */
  stopped: string | null = null;
  /** The condition as last seen on the pod (read, watched or written). */
  current: V1PodCondition | null = null;
  writes = 0;
  /**
   * The status this writer last wrote. `current` can go stale (a watch event older than our own write arrives
   * after the write's answer): this keeps True from being overwritten with False, and the time it turned True.
   */
  private lastWritten: ConditionStatus | null = null;
  /** The resourceVersion of the pod object `current` was taken from. */
  private seenVersion: string | undefined;

  constructor(
    private readonly api: KubeClient,
    readonly pod: PodRef,
    readonly conditionType: string,
    /**
     * Writes of False carry the resourceVersion of the pod last observed, so the API server refuses them (409) when the
     * pod changed since: a writer whose view may lag (a controller replica that just took over) never writes False
     * over a True it has not seen yet. After a 409 the write is retried 250 ms later (no backoff), from a newer observation.
     */
    private readonly options: { guardFalse?: boolean } = {},
  ) {}

  /** Takes the condition from a pod object read or watched elsewhere. */
  observe(pod: V1Pod): void {
    if (pod.metadata?.uid !== this.pod.uid) return;
    this.current = pod.status?.conditions?.find((c) => c.type === this.conditionType) ?? null;
    this.seenVersion = pod.metadata?.resourceVersion;
  }

  /** Whether {@link write} of `desired` would send a request now (false: it would answer `unchanged` or `stopped`). */
  wouldWrite(desired: DesiredCondition): boolean {
    if (this.stopped !== null) return false;
    const cur = this.current;
    if ((cur?.status === 'True' || this.lastWritten === 'True') && desired.status !== 'True') return false;
    return !(cur && cur.status === desired.status && cur.reason === desired.reason && cur.message === desired.message);
  }

  /** Throws a classified {@link Failure} when the write failed and may be retried. */
  async write(desired: DesiredCondition, now: Date = new Date()): Promise<WriteResult> {
    if (this.stopped !== null) return 'stopped';
    const cur = this.current;
    if (!this.wouldWrite(desired)) return 'unchanged';
    const condition: Record<string, string> = {
      type: this.conditionType,
      status: desired.status,
      reason: desired.reason,
      message: desired.message,
    };
    // Omitted, the strategic merge keeps the existing lastTransitionTime of this condition.
    if ((!cur || cur.status !== desired.status) && this.lastWritten !== desired.status) {
      condition.lastTransitionTime = `${now.toISOString().slice(0, 19)}Z`;
    }
    const guarded = this.options.guardFalse === true && desired.status === 'False' && this.seenVersion !== undefined;
    try {
      const pod = await this.api.request<V1Pod>('PATCH', `${podPath(this.pod)}/status`, {
        body: {
          metadata: {
            uid: this.pod.uid,
            ...(guarded ? { resourceVersion: this.seenVersion } : {}),
          },
          status: { conditions: [condition] },
        },
        contentType: 'application/strategic-merge-patch+json',
      });
      this.writes++;
      this.lastWritten = desired.status;
      this.observe(pod);
      return 'written';
    } catch (e) {
      // The watch lags the write: not an error, and no reason to back off; the next observation says more.
      if (guarded && e instanceof HttpError && e.code === 409) return 'conflict';
      const f = kubeFailure(e, 'patch pods/status', this.pod.namespace);
      if (f.kind === 'not-found' || f.kind === 'uid-mismatch') {
        this.stopped =
          f.kind === 'not-found'
            ? `pod ${this.pod.namespace}/${this.pod.name} is gone (404): stopped writing`
            : `${f.message}: stopped writing`;
        return 'stopped';
      }
      throw f;
    }
  }
}

/**
 * Level-triggered sync of the condition, as the AWS Load Balancer Controller reconciles: the engine says what it
 * wants ({@link want}, idempotent) and what the pod says ({@link observe}); this loop decides when to write. One
 * write at a time; a wish that changes during a write is written right after it. A failed write is retried on its
 * backoff (500 ms × 2ⁿ, capped at 30 s, at least Retry-After) and only then: new wishes and pod events wait for
 * it (they used to cancel the backoff and patch again at once). Nothing is written before the pod was read and
 * something was wished.
 */
/** After a guarded write's 409: time for the watch to deliver the newer pod. */
const CONFLICT_RETRY_MS = 250;

export class ConditionSync {
  #wish: DesiredCondition | null = null;
  #podSeen = false;
  #writing = false;
  #again = false;
  #closed = false;
  readonly #retry = new RetryTimer(() => void this.#write(), { baseMs: 500, maxMs: 30_000 });

  constructor(
    readonly writer: ConditionWriter,
    private readonly metrics: EngineMetrics,
    private readonly log: Logger,
    private readonly errors: ErrorReport,
    /**
     * Whether writing is allowed now (default always). A controller replica that is not the leader only observes;
     * once it leads, {@link reconcile} writes what it wishes.
     */
    private readonly active: () => boolean = () => true,
    /**
     * Waits for a write slot before each write (a controller's API-server budget, `True` first: it gets the current
     * wish, which may change while it waits). The wish is read after the wait: wishes that changed meanwhile cost
     * one write, the last one, not one each.
     */
    private readonly pace: ((wish: () => DesiredCondition) => Promise<void>) | null = null,
  ) {}

  /** What was last wished, or null. */
  get wish(): DesiredCondition | null {
    return this.#wish;
  }

  /** The condition should say `desired`. Idempotent: the writer skips a write that would change nothing. */
  want(desired: DesiredCondition): void {
    this.#wish = desired;
    this.reconcile();
  }

  /** Takes the condition from the pod as read or watched (does not write: call {@link reconcile} after). */
  observe(pod: V1Pod): void {
    this.writer.observe(pod);
    this.#podSeen = true;
    this.metrics.conditionStatus.set(this.writer.current?.status === 'True' ? 1 : 0);
  }

  /** Writes the wish if the pod does not say it yet, now or when a failed write's backoff ends. */
  reconcile(): void {
    if (this.#closed || !this.#podSeen || this.#wish === null || !this.active()) return;
    if (this.#writing) {
      this.#again = true;
      return;
    }
    this.#retry.runSoon();
  }

  close(): void {
    this.#closed = true;
    this.#retry.close();
  }

  async #write(): Promise<void> {
    if (this.#closed || this.#writing || this.#wish === null || !this.active()) return;
    this.#writing = true;
    try {
      for (let i = 0; i < 10; i++) {
        this.#again = false;
        const paced = this.#wish;
        if (this.pace && paced !== null && this.writer.wouldWrite(paced)) await this.pace(() => this.#wish ?? paced);
        if (this.#closed) break;
        const d: DesiredCondition | null = this.#wish;
        if (d === null || !this.active()) break;
        const r = await this.writer.write(d);
        this.metrics.conditionWrites.inc({ outcome: r });
        if (r === 'stopped' && this.writer.stopped !== null) this.errors.record({ kind: 'not-found', message: this.writer.stopped });
        if (r === 'written') this.log.info(`gate ${this.writer.conditionType}=${d.status} (${d.reason}: ${d.message})`);
        this.#retry.reset();
        if (r === 'conflict') {
          this.#retry.runIn(CONFLICT_RETRY_MS);
          break;
        }
        if (!this.#again && this.#wish === d) break;
      }
      this.metrics.conditionStatus.set(this.writer.current?.status === 'True' ? 1 : 0);
    } catch (e) {
      const f = e as Failure;
      this.metrics.conditionWrites.inc({ outcome: f.kind ?? 'other' });
      this.errors.record(f);
      this.#retry.backOff(f.retryAfterMs ?? null);
    } finally {
      this.#writing = false;
    }
    if (this.#again) this.reconcile();
  }
}
