/** The lifecycle states, in order. See DESIGN §2. */
export type LifecycleState = 'starting' | 'ready' | 'unready' | 'draining' | 'stopping' | 'stopped';

export const STATES: readonly LifecycleState[] = ['starting', 'ready', 'unready', 'draining', 'stopping', 'stopped'];

/** The only transitions the machine allows. */
const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  starting: ['ready', 'unready', 'draining'],
  ready: ['unready', 'draining'],
  unready: ['ready', 'draining'],
  draining: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** Payload of the gate's `state` event. */
export interface StateChange {
  from: LifecycleState;
  to: LifecycleState;
  /** Why: `ready()`, `readiness check "db" failed`, `SIGTERM`, `evidence: lb-health-checks`, … */
  reason: string;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * The one explicit state machine. It only records and validates transitions; the gate decides when.
 * `transition` throws on an illegal transition, which is a bug in draingate, never a user error.
 */
export class Lifecycle {
  #state: LifecycleState = 'starting';
  #since: number = Date.now();
  readonly history: StateChange[] = [];
  readonly #listener: (change: StateChange) => void;

  constructor(listener: (change: StateChange) => void) {
    this.#listener = listener;
  }

  get state(): LifecycleState {
    return this.#state;
  }

  get since(): number {
    return this.#since;
  }

  /** `true` once shutdown has begun (draining, stopping or stopped). */
  get shuttingDown(): boolean {
    return this.#state === 'draining' || this.#state === 'stopping' || this.#state === 'stopped';
  }

  can(to: LifecycleState): boolean {
    return TRANSITIONS[this.#state].includes(to);
  }

  transition(to: LifecycleState, reason: string): StateChange {
    if (!this.can(to)) throw new Error(`draingate: illegal transition ${this.#state} -> ${to} (${reason})`);
    const change: StateChange = { from: this.#state, to, reason, at: Date.now() };
    this.#state = to;
    this.#since = change.at;
    this.history.push(change);
    this.#listener(change);
    return change;
  }
}
