/**
 * Counts application requests per second over a sliding window, to tell whether a quiet period during
 * draining is significant: at the rate seen before draining, how many requests would the window have held?
 */
export class TrafficRate {
  readonly #windowSeconds: number;
  readonly #buckets: Float64Array;
  #bucketSecond = -1;
  #firstAt = -1;
  lastRequestAt = -1;

  constructor(windowSeconds = 60) {
    this.#windowSeconds = windowSeconds;
    this.#buckets = new Float64Array(windowSeconds);
  }

  record(now: number): void {
    const second = Math.floor(now / 1000);
    this.#advance(second);
    const i = second % this.#windowSeconds;
    this.#buckets[i] = (this.#buckets[i] as number) + 1;
    this.lastRequestAt = now;
    if (this.#firstAt < 0) this.#firstAt = now;
  }

  #advance(second: number): void {
    if (this.#bucketSecond < 0) {
      this.#bucketSecond = second;
      return;
    }
    if (second <= this.#bucketSecond) return;
    const steps = Math.min(second - this.#bucketSecond, this.#windowSeconds);
    for (let s = 1; s <= steps; s++) this.#buckets[(this.#bucketSecond + s) % this.#windowSeconds] = 0;
    this.#bucketSecond = second;
  }

  /** Requests per second over the window (or since the first request, if that is shorter), up to `now`. */
  rate(now: number): number {
    if (this.#firstAt < 0) return 0;
    this.#advance(Math.floor(now / 1000));
    let total = 0;
    for (const c of this.#buckets) total += c;
    const span = Math.min(this.#windowSeconds, Math.max(1, (now - this.#firstAt) / 1000));
    return total / span;
  }
}
