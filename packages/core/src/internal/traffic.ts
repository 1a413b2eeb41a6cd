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
   * The sum of `rates` (each request counted in one of them), as a rate of its own: seconds aligned on the latest
   * second any of them has seen, first and last request the earliest and the latest of theirs (`firstAt`, when
   * given, is earlier: the first request of a rate no longer in `rates`).
   */
  static sum(rates: Iterable<TrafficRate>, firstAt = -1, windowSeconds = 60): TrafficRate {
    const out = new TrafficRate(windowSeconds);
    const all = [...rates];
    let second = -1;
    for (const r of all) second = Math.max(second, r.#bucketSecond);
    if (second < 0) return out;
    out.#bucketSecond = second;
    out.#firstAt = firstAt;
    for (const r of all) {
      if (r.#firstAt < 0) continue;
      if (r.#windowSeconds !== windowSeconds) throw new Error('draingate: TrafficRate.sum() of rates with different windows');
      r.#advance(second);
      for (let i = 0; i < windowSeconds; i++) out.#buckets[i] = (out.#buckets[i] as number) + (r.#buckets[i] as number);
      if (out.#firstAt < 0 || r.#firstAt < out.#firstAt) out.#firstAt = r.#firstAt;
      out.lastRequestAt = Math.max(out.lastRequestAt, r.lastRequestAt);
    }
    return out;
  }

  /**
   * The traffic before `now`, over the last `seconds` complete seconds (fewer if the first request is more
   * recent): requests per second, and how steady it was (see {@link summarize}).
   */
  snapshot(now: number, seconds = 30): TrafficSnapshot {
    return summarize(this.counts(now, seconds));
  }

  /** Requests in each of the last `seconds` complete seconds before `now`, oldest first (fewer if traffic began later). */
  counts(now: number, seconds = 30): number[] {
    if (this.#firstAt < 0) return [];
    const current = Math.floor(now / 1000);
    this.#advance(current);
    const span = Math.max(0, Math.min(seconds, this.#windowSeconds - 1, current - Math.floor(this.#firstAt / 1000)));
    const out: number[] = [];
    for (let s = current - span; s < current; s++) out.push(this.#buckets[s % this.#windowSeconds] as number);
    return out;
  }
}

/** Traffic before draining: requests per second, share of non-empty periods, and seconds of history. */
export interface TrafficSnapshot {
  rate: number;
  /**
   * The share of periods that saw any request (1 = steady traffic; a single burst in a quiet minute scores low).
   * A period is 1 s, or long enough to expect 2 requests at a lower rate (2 s at 1 req/s, 20 s at 0.1 req/s), so
   * that steady low traffic scores as steady: at 1 req/s, a third of the seconds are empty by chance alone.
   */
  steadiness: number;
  spanSeconds: number;
}

/** Requests expected per period when steadiness is measured: P(an empty period by chance) = e^-2 ≈ 14 %. */
const EXPECTED_PER_PERIOD = 2;

/** Rate and steadiness of per-second counts (oldest first); see {@link TrafficSnapshot}. */
export function summarize(counts: readonly number[]): TrafficSnapshot {
  const span = counts.length;
  if (span === 0) return { rate: 0, steadiness: 0, spanSeconds: 0 };
  let total = 0;
  for (const c of counts) total += c;
  const rate = total / span;
  if (total === 0) return { rate: 0, steadiness: 0, spanSeconds: span };
  const period = Math.max(1, Math.ceil(EXPECTED_PER_PERIOD / rate));
  // Whole periods, counted back from now; the oldest partial one is left out.
  const periods = Math.floor(span / period);
  if (periods === 0) return { rate, steadiness: 0, spanSeconds: span };
  let nonEmpty = 0;
  for (let p = 0; p < periods; p++) {
    let n = 0;
    for (let i = span - (p + 1) * period; i < span - p * period; i++) n += counts[i] as number;
    if (n > 0) nonEmpty++;
  }
  return { rate, steadiness: nonEmpty / periods, spanSeconds: span };
}

/** Where requests come from: the connection's peer address (behind an ALB/NLB in ip mode, the LB node's). */
export type PeerAddress = string;

/** Peers tracked one by one at most; beyond, peers silent for the whole window make room, else they count together. */
export const MAX_PEERS = 256;
/** The address under which peers beyond {@link MAX_PEERS} are counted together. */
export const OTHER_PEERS = 'other';

/**
 * Application requests per peer address, and in total (DESIGN §3: evidence is per LB node). One `TrafficRate` per
 * peer; the hot path does one increment, and one Map lookup when the peer differs from the previous request's
 * (behind an LB a few nodes each hold many connections). The total is summed when read (at drain start, rare).
 */
export class PeerTraffic {
  readonly #peers = new Map<PeerAddress, TrafficRate>();
  #other: TrafficRate | null = null;
  #lastPeer: PeerAddress | undefined = undefined;
  #lastRate: TrafficRate | null = null;
  /** The first request ever (its peer may have been evicted since). */
  #firstAt = -1;

  /** Every peer's requests together. */
  get total(): TrafficRate {
    return TrafficRate.sum([...this.#peers.values(), ...(this.#other ? [this.#other] : [])], this.#firstAt);
  }

  get lastRequestAt(): number {
    let last = this.#other?.lastRequestAt ?? -1;
    for (const rate of this.#peers.values()) last = Math.max(last, rate.lastRequestAt);
    return last;
  }

  record(now: number, peer: PeerAddress | undefined): void {
    let rate = this.#lastRate;
    if (rate === null || peer !== this.#lastPeer) {
      rate = this.#peers.get(peer ?? OTHER_PEERS) ?? this.#add(peer ?? OTHER_PEERS, now);
      this.#lastPeer = peer;
      this.#lastRate = rate;
    }
    rate.record(now);
  }

  /** Every peer seen (still in the window, or not yet evicted), with its traffic; `other` last. */
  *peers(): IterableIterator<[PeerAddress, TrafficRate]> {
    yield* this.#peers;
    if (this.#other) yield [OTHER_PEERS, this.#other];
  }

  #add(peer: PeerAddress, now: number): TrafficRate {
    if (this.#firstAt < 0) this.#firstAt = now;
    if (peer !== OTHER_PEERS && this.#peers.size >= MAX_PEERS) {
      // Room from peers silent for the whole window: they count in no snapshot any more.
      for (const [key, r] of this.#peers) if (now - r.lastRequestAt > 60_000) this.#peers.delete(key);
      this.#lastRate = null;
    }
    if (peer === OTHER_PEERS || this.#peers.size >= MAX_PEERS) {
      this.#other ??= new TrafficRate();
      return this.#other;
    }
    const rate = new TrafficRate();
    this.#peers.set(peer, rate);
    return rate;
  }
}
