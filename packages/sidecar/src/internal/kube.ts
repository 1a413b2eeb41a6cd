import type { CoreV1Event, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { type Failure, kubeFailure } from './failures.js';
import type { KubeClient } from './kubeclient.js';
import type { Logger } from './logger.js';
import { RetryTimer } from './retry-timer.js';

export interface PodRef {
  name: string;
  namespace: string;
  uid: string;
}

export type GateStatus = 'True' | 'False';

/** What the sidecar wants the gate condition to say. */
export interface DesiredGate {
  status: GateStatus;
  reason: string;
  message: string;
}

export type WriteResult = 'written' | 'unchanged' | 'stopped';

/**
 * Writes the readiness-gate condition of one pod: a strategic merge patch on `pods/status` (conditions merge by
 * `type`, so other controllers' conditions stay), with `metadata.uid` as precondition. Skips the write when the
 * condition already says the same; sets `lastTransitionTime` only when the status changes; never writes False
 * over True. Stops for good on 404 (pod gone) or a uid mismatch (the API server answers 422 for that).
 */
export class GateWriter {
  /** Why writing stopped for good, or `null`. */
  stopped: string | null = null;
  /** The condition as last seen on the pod (read, watched or written). */
  current: V1PodCondition | null = null;
  writes = 0;
  /**
   * The status this writer last wrote. `current` can go stale (a watch event older than our own write arrives
   * after the write's answer): this keeps True from being overwritten with False, and the time it turned True.
   */
  private lastWritten: GateStatus | null = null;

  constructor(
    private readonly api: KubeClient,
    readonly pod: PodRef,
    readonly conditionType: string,
  ) {}

  /** Takes the condition from a pod object read or watched elsewhere. */
  observe(pod: V1Pod): void {
    if (pod.metadata?.uid !== this.pod.uid) return;
    this.current = pod.status?.conditions?.find((c) => c.type === this.conditionType) ?? null;
  }

  /** Throws a classified {@link Failure} when the write failed and may be retried. */
  async write(desired: DesiredGate, now: Date = new Date()): Promise<WriteResult> {
    if (this.stopped !== null) return 'stopped';
    const cur = this.current;
    if ((cur?.status === 'True' || this.lastWritten === 'True') && desired.status !== 'True') return 'unchanged';
    if (cur && cur.status === desired.status && cur.reason === desired.reason && cur.message === desired.message) return 'unchanged';
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
    try {
      const pod = await this.api.request<V1Pod>('PATCH', `${podPath(this.pod)}/status`, {
        body: { metadata: { uid: this.pod.uid }, status: { conditions: [condition] } },
        contentType: 'application/strategic-merge-patch+json',
      });
      this.writes++;
      this.lastWritten = desired.status;
      this.observe(pod);
      return 'written';
    } catch (e) {
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

/** Records core/v1 Events on the pod (what `kubectl describe pod` shows). Failures are logged once per reason, never thrown. */
export class EventRecorder {
  readonly emitted: { reason: string; message: string; type: string }[] = [];
  private readonly failedOnce = new Set<string>();

  constructor(
    private readonly api: KubeClient,
    private readonly pod: PodRef,
    private readonly host: string | null,
    private readonly log: Logger,
  ) {}

  async emit(reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): Promise<void> {
    this.emitted.push({ reason, message, type });
    const now = new Date().toISOString() as unknown as Date;
    const body: CoreV1Event = {
      metadata: { generateName: `${this.pod.name}.`, namespace: this.pod.namespace },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: this.pod.name, namespace: this.pod.namespace, uid: this.pod.uid },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: 'draingate-sidecar', ...(this.host ? { host: this.host } : {}) },
      reportingComponent: 'draingate.io/sidecar',
      reportingInstance: this.pod.name,
    };
    try {
      await this.api.request('POST', `/api/v1/namespaces/${encodeURIComponent(this.pod.namespace)}/events`, { body });
    } catch (e) {
      const f = kubeFailure(e, 'create events', this.pod.namespace);
      const key = `${f.kind}`;
      if (!this.failedOnce.has(key)) {
        this.failedOnce.add(key);
        this.log.warn(`event ${reason} not recorded: ${f.message}`);
      }
    }
  }
}

/**
 * Follows the own pod: a GET, then a watch on `metadata.name=<pod>` from that resourceVersion; on any error or end,
 * a jittered exponential backoff and again. Keeps the last pod it saw while the API server is unreachable.
 */
export class PodWatcher {
  pod: V1Pod | null = null;
  lastFailure: Failure | null = null;
  /** Set when the pod is gone or replaced (another uid): watching stopped. */
  gone: string | null = null;
  private closed = false;
  private abort: (() => void) | null = null;
  /** The next GET + watch: after a failure not before the backoff (500 ms × 2ⁿ, capped at 30 s) or Retry-After. */
  private readonly retry = new RetryTimer(() => void this.cycle(), { baseMs: 500, maxMs: 30_000, unref: true });

  constructor(
    private readonly api: KubeClient,
    private readonly ref: PodRef,
    private readonly onPod: (pod: V1Pod) => void,
    private readonly onFailure: (f: Failure) => void,
  ) {}

  start(): void {
    void this.cycle();
  }

  /** One GET of the pod (used at start and after each watch ends). Returns null and reports on failure. */
  async read(): Promise<V1Pod | null> {
    try {
      const pod = await this.api.request<V1Pod>('GET', podPath(this.ref));
      this.lastFailure = null;
      this.accept(pod);
      return pod;
    } catch (e) {
      const f = kubeFailure(e, 'get pods', this.ref.namespace);
      if (f.kind === 'not-found') this.gone = `pod ${this.ref.namespace}/${this.ref.name} not found (404)`;
      this.lastFailure = f;
      this.onFailure(f);
      return null;
    }
  }

  private accept(pod: V1Pod): void {
    if (pod.metadata?.uid && pod.metadata.uid !== this.ref.uid) {
      this.gone = `pod ${this.ref.namespace}/${this.ref.name} now has uid ${pod.metadata.uid}, not ${this.ref.uid}: replaced`;
      return;
    }
    this.pod = pod;
    this.onPod(pod);
  }

  private async cycle(): Promise<void> {
    if (this.closed) return;
    const pod = await this.read();
    if (this.closed || this.gone) return;
    if (!pod) {
      this.retry.backOff(this.lastFailure?.retryAfterMs ?? null);
      return;
    }
    const rv = pod.metadata?.resourceVersion;
    let ended = false;
    const end = (err: unknown): void => {
      if (ended) return;
      ended = true;
      this.abort = null;
      if (this.closed) return;
      if (err) {
        const f = kubeFailure(err, 'watch pods', this.ref.namespace);
        this.lastFailure = f;
        this.onFailure(f);
        this.retry.backOff(f.retryAfterMs);
      } else {
        // The server closed the watch (timeout): start again at once, but not in a tight loop.
        this.retry.backOff(null, { atMostMs: 1000 });
      }
    };
    try {
      this.abort = await this.api.watch(
        `/api/v1/namespaces/${encodeURIComponent(this.ref.namespace)}/pods`,
        { fieldSelector: `metadata.name=${this.ref.name}`, resourceVersion: rv, timeoutSeconds: 300 },
        ({ type: phase, object }) => {
          const obj = object as V1Pod;
          this.retry.reset();
          if (phase === 'DELETED') {
            if (obj.metadata?.uid === this.ref.uid) this.gone = `pod ${this.ref.namespace}/${this.ref.name} was deleted`;
            return;
          }
          if (phase === 'ADDED' || phase === 'MODIFIED') this.accept(obj);
        },
        end,
      );
      if (this.closed) this.abort?.();
    } catch (e) {
      end(e);
    }
  }

  stop(): void {
    this.closed = true;
    this.retry.close();
    this.abort?.();
  }
}

function podPath(p: { name: string; namespace: string }): string {
  return `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}`;
}
