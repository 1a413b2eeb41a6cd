/**
 * The sidecar's phases for one pod (its own: the readiness-gate condition's lifecycle, not the app's, which is
 * core's `Gate`). Each phase is a tagged object that carries its own data; leaving a phase drops that data and
 * cancels the timers started in it, so nothing of a drain (evidence, margin timer) outlives the drain, and no
 * starting-only timer (fail-open) fires in another phase.
 */
export type Phase = 'starting' | 'ready' | 'draining';

/** What started draining: `/v1/prestop`, the pod's `deletionTimestamp`, SIGTERM, or a caller of `startDraining`. */
export type DrainTrigger = 'prestop' | 'deletion' | 'signal' | 'api';

/** The data of the draining phase. */
export interface Draining {
  readonly name: 'draining';
  /** Epoch ms (shown on `/v1/status`). */
  readonly startedAt: number;
  /** The same moment on the monotonic clock (`performance.now()`): what durations count from. */
  readonly startedAtMs: number;
  readonly trigger: DrainTrigger;
  /** The phase to go back to if the drain ends without a deletion (a stray `/v1/prestop`). */
  readonly before: 'starting' | 'ready';
  /** SIGTERM came during this drain: the sidecar is going away, never back. */
  signalled: boolean;
  /** When the source first said every target is gone (epoch ms). */
  goneSince: number | null;
  /** When the propagation bound after `goneSince` passed (epoch ms): `deregistered: true`. */
  deregisteredAt: number | null;
}

export type PhaseState = { readonly name: 'starting' } | { readonly name: 'ready' } | Draining;

/** The draining phase entered now from `from` (a drain from draining is not a new one: the caller keeps the old). */
export function newDraining(from: Phase, trigger: DrainTrigger): Draining {
  return {
    name: 'draining',
    startedAt: Date.now(),
    startedAtMs: performance.now(),
    trigger,
    before: from === 'ready' ? 'ready' : 'starting',
    signalled: trigger === 'signal',
    goneSince: null,
    deregisteredAt: null,
  };
}

/**
 * The only transitions the sidecar makes. Never from ready back to starting: the condition never goes back to False
 * while the pod runs. Out of draining only to the phase the drain came from, when a `/v1/prestop` wait ended on a
 * pod nobody deletes (the kubelet restarting the app container, or a stray call).
 */
export const PHASE_TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  starting: ['ready', 'draining'],
  ready: ['draining'],
  draining: ['starting', 'ready'],
};

export interface PhaseChange {
  from: Phase;
  to: Phase;
  /** Why, for logs: `target healthy`, `fail-open`, `draining (deletion)`, ... */
  reason: string;
  /** Epoch ms. */
  at: number;
}

/**
 * Records and validates the phase of one pod, and owns the timers that belong to a phase. It does not decide
 * when to move: the pod's engine does. `enter` throws on a transition the table does not allow: a bug in the
 * sidecar, never a user error.
 */
export class PhaseMachine {
  #state: PhaseState = { name: 'starting' };
  #since: number = Date.now();
  #timers = new Set<NodeJS.Timeout>();
  #closed = false;
  readonly history: PhaseChange[] = [];
  readonly #onChange: (change: PhaseChange) => void;

  /** `onChange` runs after each transition, once the new phase is in place: the one place for its side effects. */
  constructor(onChange: (change: PhaseChange) => void = () => {}) {
    this.#onChange = onChange;
  }

  get state(): PhaseState {
    return this.#state;
  }

  get name(): Phase {
    return this.#state.name;
  }

  get since(): number {
    return this.#since;
  }

  /** The draining phase's data, or null in another phase. */
  get draining(): Draining | null {
    return this.#state.name === 'draining' ? this.#state : null;
  }

  can(to: Phase): boolean {
    return PHASE_TRANSITIONS[this.#state.name].includes(to);
  }

  enter(next: PhaseState, reason: string): PhaseChange {
    const from = this.#state.name;
    if (this.#closed) throw new Error(`draingate-sidecar: phase change ${from} -> ${next.name} after close (${reason})`);
    if (!this.can(next.name)) throw new Error(`draingate-sidecar: illegal phase change ${from} -> ${next.name} (${reason})`);
    this.#cancelTimers();
    const change: PhaseChange = { from, to: next.name, reason, at: Date.now() };
    this.#state = next;
    this.#since = change.at;
    this.history.push(change);
    this.#onChange(change);
    return change;
  }

  /**
   * Runs `fn` after `ms` unless the phase changes first (or the machine closes): a timer that belongs to the
   * current phase, like fail-open (starting) or the propagation bound (draining).
   */
  after(ms: number, fn: () => void, options: { unref?: boolean } = {}): void {
    if (this.#closed) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    if (options.unref) t.unref();
    this.#timers.add(t);
  }

  /** The number of timers the current phase owns (for tests). */
  get timers(): number {
    return this.#timers.size;
  }

  /** Cancels the phase's timers; no transition after this. */
  close(): void {
    this.#closed = true;
    this.#cancelTimers();
  }

  #cancelTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
