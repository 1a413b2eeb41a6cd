import { Backoff } from './failures.js';

/**
 * Floors and due times are kept on the monotonic clock: a wall clock moved back an hour (NTP, an operator) must not
 * hold every retry for that hour, nor one moved forward void a server's Retry-After.
 */
const now = (): number => performance.now();
/** A {@link now} time as the wall clock reads it now (for callers that show or compare epoch ms). */
const toEpoch = (at: number): number => Math.round(Date.now() + (at - now()));

export interface RetryTimerOptions {
  /** The backoff after failures: `baseMs` × 2ⁿ, capped at `maxMs`, × [0.5, 1] (failures.ts `Backoff`). */
  baseMs: number;
  maxMs: number;
  /** The timer does not keep the process alive. */
  unref?: boolean;
  /** For tests: the backoff's jitter. */
  random?: () => number;
}

export interface BackOffBounds {
  /** Never sooner than this (e.g. the poll interval). */
  atLeastMs?: number;
  /** Never later than this (a Retry-After still wins). */
  atMostMs?: number;
}

/**
 * The one place that decides "not before T". A deferred task with its single timer and its backoff: every loop in
 * the sidecar that retries or polls (the source poller, the condition sync, the pod watch, the /v1/prestop waits)
 * owns one, so Retry-After and the backoff are honoured the same way everywhere.
 *
 * - {@link backOff} after a failure sets a hard floor: the next step of the jittered backoff, never below the
 *   server's Retry-After. Nothing runs the task before it: not {@link runSoon}, not {@link runIn}, whatever event
 *   asks (a deletion, a `/v1/prestop`, a pod update, a new wish). The timer is set for the floor.
 * - {@link runIn} schedules the next run (a poll interval); {@link runSoon} may pull it in, a floor permitting.
 * - {@link reset} after a success: the backoff starts over and the floor goes.
 *
 * The task runs synchronously from `runSoon()` or from the timer; it decides itself whether there is work to do.
 */
export class RetryTimer {
  readonly #task: () => void;
  readonly #backoff: Backoff;
  readonly #unref: boolean;
  #timer: NodeJS.Timeout | null = null;
  /** When the timer fires ({@link now} ms), if set. */
  #due = 0;
  /** No run before this ({@link now} ms); 0: no floor. */
  #notBefore = 0;
  #closed = false;

  constructor(task: () => void, options: RetryTimerOptions) {
    this.#task = task;
    this.#backoff = new Backoff(options.baseMs, options.maxMs, options.random);
    this.#unref = options.unref ?? false;
  }

  /** The floor set by the last failure (epoch ms, as the wall clock reads now), or 0. */
  get notBefore(): number {
    return this.#notBefore === 0 ? 0 : toEpoch(this.#notBefore);
  }

  /** When the timer will run the task (epoch ms, as the wall clock reads now), or `null` when no run is scheduled. */
  get due(): number | null {
    return this.#timer ? toEpoch(this.#due) : null;
  }

  /** Failures since the last {@link reset}. */
  get failures(): number {
    return this.#backoff.attempts;
  }

  /** Runs the task now; under a floor, at the floor instead (a later scheduled run is pulled in to it). */
  runSoon(): void {
    if (this.#closed) return;
    if (now() < this.#notBefore) {
      if (!this.#timer || this.#due > this.#notBefore) this.#arm(this.#notBefore);
      return;
    }
    this.#disarm();
    this.#task();
  }

  /** Runs the task in `ms` (replacing any scheduled run), but not before the floor. */
  runIn(ms: number): void {
    if (this.#closed) return;
    this.#arm(Math.max(now() + ms, this.#notBefore));
  }

  /**
   * After a failure: no run before the next backoff step (at least `retryAfterMs`, the server's Retry-After, and
   * within `bounds`); the task runs then. Returns the wait in ms.
   */
  backOff(retryAfterMs: number | null = null, bounds: BackOffBounds = {}): number {
    let wait = this.#backoff.next();
    if (bounds.atLeastMs !== undefined) wait = Math.max(wait, bounds.atLeastMs);
    if (bounds.atMostMs !== undefined) wait = Math.min(wait, bounds.atMostMs);
    if (retryAfterMs !== null) wait = Math.max(wait, retryAfterMs);
    if (this.#closed) return wait;
    this.#notBefore = now() + wait;
    this.#arm(this.#notBefore);
    return wait;
  }

  /** After a success: the backoff starts over, no floor. A scheduled run stays. */
  reset(): void {
    this.#backoff.reset();
    this.#notBefore = 0;
  }

  /** Drops the scheduled run (the floor stays). */
  cancel(): void {
    this.#disarm();
  }

  /** For good: no run any more. */
  close(): void {
    this.#closed = true;
    this.#disarm();
  }

  #arm(at: number): void {
    this.#disarm();
    this.#due = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#task();
      },
      Math.max(0, at - now()),
    );
    if (this.#unref) this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
