/**
 * A client-side token bucket, as ELBv2 meters its callers (per account and region: Describe* bucket 40, refill
 * 10/s; research/aws-facts.md) and as client-go meters a controller's API-server requests: `burst` tokens, refilled
 * at `ratePerSecond`. {@link take} waits for a token, first come first served within a priority, `high` before
 * `normal` before `low`; {@link pause} holds every caller until a moment (a ThrottlingException means the account's bucket is empty
 * for everybody, so no call of ours should go out before the backoff).
 */
export type Priority = 'high' | 'normal' | 'low';
const RANK: Record<Priority, number> = { high: 0, normal: 1, low: 2 };

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #at = Date.now();
  #pausedUntil = 0;
  /** Waiters in arrival order; each one's priority is read when a token is free (it may change while it waits). */
  readonly #waiters: { priority: () => Priority; go: () => void }[] = [];
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Calls that had to wait for a token, and how long in total (ms): for metrics. */
  waited = 0;
  waitedMs = 0;

  constructor(ratePerSecond: number, burst: number) {
    if (!(ratePerSecond > 0) || !(burst >= 1))
      throw new Error(`TokenBucket: rate ${ratePerSecond}/s and burst ${burst} must be > 0 and >= 1`);
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
  }

  /** Tokens available now (fractional). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Callers waiting for a token. */
  get queued(): number {
    return this.#waiters.length;
  }

  /** Resolves when the caller may make one call. Rejects once the bucket is closed. */
  take(priority: Priority | (() => Priority) = 'high'): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('TokenBucket closed'));
    const begun = Date.now();
    return new Promise<void>((resolve) => {
      const p = typeof priority === 'function' ? priority : () => priority;
      this.#waiters.push({
        priority: p,
        go: () => {
          const ms = Date.now() - begun;
          if (ms > 0) {
            this.waited++;
            this.waitedMs += ms;
          }
          resolve();
        },
      });
      this.#drain();
    });
  }

  /** No token before `until` (epoch ms), whoever asks. */
  pause(until: number): void {
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#tokens = Math.min(this.#tokens, 0);
    this.#arm(until - Date.now());
  }

  /** Ends every wait (they never resolve; pending `take()`s are dropped) and stops the timer. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#waiters.length = 0;
  }

  #refill(): void {
    const now = Date.now();
    if (now < this.#pausedUntil) {
      this.#at = now;
      return;
    }
    const from = Math.max(this.#at, this.#pausedUntil);
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - from) / 1000) * this.ratePerSecond);
    this.#at = now;
  }

  #drain(): void {
    if (this.#closed) return;
    this.#refill();
    while (this.queued > 0 && this.#tokens >= 1 && Date.now() >= this.#pausedUntil) {
      this.#tokens -= 1;
      this.#next()?.go();
    }
    if (this.queued === 0) return;
    const untilToken = Math.ceil(((1 - this.#tokens) / this.ratePerSecond) * 1000);
    this.#arm(Math.max(untilToken, this.#pausedUntil - Date.now(), 1));
  }

  /** The first waiter of the highest priority now, taken off the queue. */
  #next(): { go: () => void } | undefined {
    let best = -1;
    let rank = 3;
    for (let i = 0; i < this.#waiters.length && rank > 0; i++) {
      const r = RANK[(this.#waiters[i] as { priority: () => Priority }).priority()];
      if (r < rank) {
        rank = r;
        best = i;
      }
    }
    return best < 0 ? undefined : this.#waiters.splice(best, 1)[0];
  }

  #arm(ms: number): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#drain();
    }, ms);
    this.#timer.unref();
  }
}
