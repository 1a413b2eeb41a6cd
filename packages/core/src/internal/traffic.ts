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

  /**
   * The traffic before `now`, over the last `seconds` complete seconds (fewer if the first request is more
   * recent): requests per second, and the share of those seconds that saw any request (1 = steady traffic;
   * a single burst in a quiet minute scores low).
   */
  snapshot(now: number, seconds = 30): { rate: number; steadiness: number; spanSeconds: number } {
    if (this.#firstAt < 0) return { rate: 0, steadiness: 0, spanSeconds: 0 };
    const current = Math.floor(now / 1000);
    this.#advance(current);
    const span = Math.max(0, Math.min(seconds, this.#windowSeconds - 1, current - Math.floor(this.#firstAt / 1000)));
    if (span === 0) return { rate: 0, steadiness: 0, spanSeconds: 0 };
    let total = 0;
    let nonEmpty = 0;
    for (let s = current - span; s < current; s++) {
      const c = this.#buckets[s % this.#windowSeconds] as number;
      total += c;
      if (c > 0) nonEmpty++;
    }
    return { rate: total / span, steadiness: nonEmpty / span, spanSeconds: span };
  }
}
