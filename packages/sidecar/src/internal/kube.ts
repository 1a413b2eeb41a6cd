import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { type Failure, kubeFailure } from './failures.js';
import type { KubeClient } from './kubeclient.js';
import type { Logger } from './logger.js';
import { RetryTimer } from './retry-timer.js';

export interface PodRef {
  name: string;
  namespace: string;
  uid: string;
}

/** Who records the Events: the sidecar (the default) or a controller replica. */
export interface EventSource {
  /** `source.component`, e.g. `draingate-sidecar`. */
  component: string;
  /** `reportingComponent`, e.g. `draingate.io/sidecar`. */
  reportingComponent: string;
  /** `reportingInstance`; default the pod's name (a sidecar reports as its own pod). */
  instance?: string;
  /**
   * Whether Events are sent now (default always). A controller replica that is not the leader keeps quiet: the
   * leader records them. A reason passed to {@link EventRecorder.once} meanwhile counts as recorded, so a follower
   * that takes over does not repeat what the old leader already said.
   */
  active?: () => boolean;
}

const SIDECAR_EVENTS: EventSource = { component: 'draingate-sidecar', reportingComponent: 'draingate.io/sidecar' };

/**
 * Records core/v1 Events on the pod (what `kubectl describe pod` shows). Failures are logged once per reason, never
 * thrown. {@link once} records a reason at most once per sidecar run (until {@link forget}).
 */
export class EventRecorder {
  readonly emitted: { reason: string; message: string; type: string }[] = [];
  private readonly failedOnce = new Set<string>();
  private readonly recorded = new Set<string>();

  constructor(
    private readonly api: KubeClient,
    private readonly pod: PodRef,
    private readonly host: string | null,
    private readonly log: Logger,
    /** Called for each event recorded by {@link once} (the events metric). */
    private readonly onRecord: (reason: string) => void = () => {},
    private readonly source: EventSource = SIDECAR_EVENTS,
  ) {}

  /** Records `reason` unless it was already recorded in this run. */
  once(reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
    if (this.recorded.has(reason)) return;
    this.recorded.add(reason);
    if (this.source.active && !this.source.active()) return;
    this.onRecord(reason);
    void this.emit(reason, message, type);
  }

  /** `reason` may be recorded again by {@link once}. */
  forget(...reasons: string[]): void {
    for (const r of reasons) this.recorded.delete(r);
  }

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
      source: { component: this.source.component, ...(this.host ? { host: this.host } : {}) },
      reportingComponent: this.source.reportingComponent,
      reportingInstance: this.source.instance ?? this.pod.name,
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
 * Where a pod's engine gets its pod from: the sidecar's own {@link PodWatcher} (one GET + watch of its pod), or a
 * controller's shared informer (one watch for every pod). The engine reads these fields and calls `read()` only
 * to look again before it takes a drain back.
 */
export interface PodFeed {
  /** The pod as last seen (null before the first read, or while it cannot be read). */
  readonly pod: V1Pod | null;
  /** Why the last read failed, or null. */
  readonly lastFailure: Failure | null;
  /** A `deletionTimestamp` was seen. */
  readonly deleting: boolean;
  /** Set when the pod is gone or replaced. */
  readonly gone: string | null;
  start(): void;
  /** A fresh look at the pod (passes it on like any other version); null when it cannot be read. */
  read(): Promise<V1Pod | null>;
  stop(): void;
}

/** Each version of the pod and what is new about it; failures to read it. */
export interface PodFeedHooks {
  onPod(pod: V1Pod, news: PodNews): void;
  onFailure(f: Failure): void;
}

/** What is new in a version of the pod the watcher passes on. */
export interface PodNews {
  /** The first read of the pod. */
  first: boolean;
  /** The first version seen with a `deletionTimestamp`. */
  deletion: boolean;
}

/**
 * Follows the own pod: a GET, then a watch on `metadata.name=<pod>` from that resourceVersion; on any error or end,
 * a jittered exponential backoff and again. Keeps the last pod it saw while the API server is unreachable.
 */
export class PodWatcher implements PodFeed {
  pod: V1Pod | null = null;
  lastFailure: Failure | null = null;
  /** A `deletionTimestamp` was seen: the pod is being deleted (Kubernetes never takes that back). */
  deleting = false;
  /** Set when the pod is gone or replaced (another uid): watching stopped. */
  gone: string | null = null;
  private closed = false;
  private abort: (() => void) | null = null;
  /** The next GET + watch: after a failure not before the backoff (500 ms × 2ⁿ, capped at 30 s) or Retry-After. */
  private readonly retry = new RetryTimer(() => void this.cycle(), { baseMs: 500, maxMs: 30_000, unref: true });

  constructor(
    private readonly api: KubeClient,
    private readonly ref: PodRef,
    /** Each version of the pod seen, and what is new about it. */
    private readonly onPod: (pod: V1Pod, news: PodNews) => void,
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
    const first = this.pod === null;
    const deletion = !this.deleting && Boolean(pod.metadata?.deletionTimestamp);
    if (deletion) this.deleting = true;
    this.pod = pod;
    this.onPod(pod, { first, deletion });
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

export function podPath(p: { name: string; namespace: string }): string {
  return `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}`;
}
