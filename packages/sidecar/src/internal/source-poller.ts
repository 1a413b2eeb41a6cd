import { type Failure, jitter } from './failures.js';
import { RetryTimer } from './retry-timer.js';
import type { Observation, Source, SourceContext } from './sources.js';

/** What the poller asks of the pod's engine. */
export interface PollerHooks {
  /** Whether the source should be looked at now (the phase rules). Asked before each call. */
  wanted(): boolean;
  /** What the source needs to know about the pod. */
  context(): SourceContext;
  onObservation(o: Observation): void;
  onFailure(f: Failure): void;
}

/** What a pod's engine knows of the source it is fed from (a {@link Source}'s traits, without its calls). */
export interface SourceTraits {
  readonly kind: Source['kind'];
  readonly tellsDeregistration: boolean;
  readonly readsLbApi: boolean;
  /** Why the load balancer type could not be told (aws), or null. */
  readonly lbTypeProblem?: string | null;
}

/**
 * Where a pod's engine gets its observations: the sidecar's own {@link SourcePoller} (one source, one pod), or a
 * controller's view onto one poll per target group that serves every pod of the group. The engine says when it
 * wants a look ({@link request}; the hooks' `wanted()` tells whether it still does) and reads the outcome.
 */
export interface Poller {
  readonly source: SourceTraits;
  /** The last observation, or null. */
  readonly last: Observation | null;
  /** Failures in a row (0 after a success). */
  readonly failures: number;
  /** The message of a 403/AccessDenied from the last call, or null. */
  readonly forbidden: string | null;
  /** Whether a call was ever made for this pod. */
  readonly polledOnce: boolean;
  request(): void;
  close(): void;
}

/**
 * Polls one pod's source of target health. Owns its timer and its backoff: every `pollIntervalMs` ±20 % after a
 * success, and after a failure not before the backoff (1 s × 2ⁿ, capped at 60 s, at least the poll interval and
 * the Retry-After), even if draining starts meanwhile. One call at a time. {@link request} asks for a look now
 * (draining began, the pod was read): honoured at once unless a failure's backoff holds.
 */
export class SourcePoller implements Poller {
  /** The last observation, or null. */
  last: Observation | null = null;
  /** Failures in a row (0 after a success). */
  failures = 0;
  /** The message of a 403/AccessDenied from the last call, or null. */
  forbidden: string | null = null;
  /** Whether a call was ever made. */
  polledOnce = false;
  #inFlight = false;
  #closed = false;
  readonly #retry = new RetryTimer(() => this.#start(), { baseMs: 1000, maxMs: 60_000 });

  constructor(
    readonly source: Source,
    private readonly pollIntervalMs: number,
    private readonly hooks: PollerHooks,
  ) {}

  /** Look at the source as soon as allowed, if the engine wants it now. */
  request(): void {
    if (this.#inFlight || this.#closed || !this.hooks.wanted()) return;
    this.#retry.runSoon();
  }

  /** Stops polling for good and closes the source. */
  close(): void {
    this.#closed = true;
    this.#retry.close();
    this.source.close?.();
  }

  #start(): void {
    if (this.#inFlight || this.#closed || !this.hooks.wanted()) return;
    this.#inFlight = true;
    this.polledOnce = true;
    void this.#poll();
  }

  async #poll(): Promise<void> {
    try {
      const obs = await this.source.observe(this.hooks.context());
      this.failures = 0;
      this.forbidden = null;
      this.#retry.reset();
      if (this.#closed) return;
      this.last = obs;
      this.hooks.onObservation(obs);
      this.#retry.runIn(jitter(this.pollIntervalMs));
    } catch (e) {
      const f = e as Failure;
      this.failures++;
      if (f.kind === 'forbidden') this.forbidden = f.message;
      if (this.#closed) return;
      this.hooks.onFailure(f);
      this.#retry.backOff(f.retryAfterMs ?? null, { atLeastMs: this.pollIntervalMs });
    } finally {
      this.#inFlight = false;
    }
  }
}
