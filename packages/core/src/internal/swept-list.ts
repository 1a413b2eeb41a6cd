/**
 * Empties `items[from..to)`. A loop, not `Array.prototype.fill`: `fill` is a C++ builtin (a runtime call, ~60
 * instructions per sweep in callgrind), the loop is compiled with the sweep.
 */
function clear(items: unknown[], from: number, to: number): void {
  for (let i = from; i < to; i++) items[i] = undefined;
}

/** Below this length the list is not swept before it is read. */
const SWEEP_MIN = 16;

/**
 * Objects that end by themselves (responses, sockets), kept without a listener on each: the list is swept of the
 * ended ones when it has doubled since the last sweep, and whenever it is read. Adding allocates nothing once the
 * array has grown to its working size (slots are reused, the array never shrinks).
 *
 * Why not a `Set` and a `close` listener per object: on the hot path that is a listener added and called per
 * request, a Set rehashed as concurrent requests come and go, and a second listener on events Node already listens
 * to. An event with two listeners takes EventEmitter's array branch, and since every emitter in the process shares
 * `emit`'s feedback, from then on every `emit` materialises its arguments and calls through `apply` (~300
 * instructions per request in callgrind, for the app's own events too). Where a caller must be told when an object
 * ends (shutdown waits for them), it adds listeners then, to the live ones {@link take} returns.
 */
export class SweptList<T extends object> {
  readonly #items: (T | undefined)[] = [];
  readonly #ended: (item: T) => boolean;
  #count = 0;
  #sweepAt = SWEEP_MIN;

  constructor(ended: (item: T) => boolean) {
    this.#ended = ended;
  }

  add(item: T): void {
    this.#items[this.#count++] = item;
    if (this.#count >= this.#sweepAt) this.#sweep();
  }

  /** How many have not ended. */
  get size(): number {
    if (this.#count > 0) this.#sweep();
    return this.#count;
  }

  /** The ones that have not ended. */
  live(): T[] {
    this.#sweep();
    return this.#items.slice(0, this.#count) as T[];
  }

  /** Empties the list and returns the ones that had not ended. */
  take(): T[] {
    const live = this.live();
    clear(this.#items, 0, this.#count);
    this.#count = 0;
    return live;
  }

  #sweep(): void {
    const items = this.#items;
    const n = this.#count;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const item = items[i] as T;
      if (!this.#ended(item)) items[kept++] = item;
    }
    clear(items, kept, n);
    this.#count = kept;
    this.#sweepAt = Math.max(SWEEP_MIN, 2 * kept);
  }
}
