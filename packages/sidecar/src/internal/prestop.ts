import { formatDuration } from '@draingate/core/internal';
import type { V1Pod } from '@kubernetes/client-node';
import type { Draining } from './phases.js';
import { RetryTimer } from './retry-timer.js';

/** What ended a `/v1/prestop` wait. */
export type PrestopEnd = 'deregistered' | 'fallback-delay' | 'deadline' | 'closed';

/** The answer of `GET /v1/prestop`. */
export interface PrestopResult {
  ended: PrestopEnd;
  waitedMs: number;
  detail: string;
}

/** The rules of the waits, from the pod's engine. */
export interface PrestopRules {
  /** What ends a wait that began at `begun` (`performance.now()` ms) now, or null to keep waiting. Asked every 100 ms. */
  check(begun: number): Exclude<PrestopEnd, 'closed'> | null;
  /** The answer's `detail` for `ended`. */
  detail(ended: PrestopEnd): string;
  /** After each answer (metrics, log, what to do once no wait is left). */
  answered(result: PrestopResult): void;
}

interface Waiter {
  begun: number;
  finish(ended: PrestopEnd): void;
}

/**
 * The `/v1/prestop` calls in progress for one pod. Each wait ends on the first of: the engine's rules (checked at
 * once, then every 100 ms, and at once when {@link end} is called, e.g. on `deregistered`), or {@link close}.
 */
export class PrestopWaits {
  readonly #waiters = new Set<Waiter>();
  readonly #pending = new Set<Promise<PrestopResult>>();
  readonly #check = new RetryTimer(() => this.#checkAll(), { baseMs: 100, maxMs: 100 });
  #closed = false;

  constructor(private readonly rules: PrestopRules) {}

  /** Waits in progress. */
  get count(): number {
    return this.#waiters.size;
  }

  /** One more wait; resolves with its answer. */
  wait(): Promise<PrestopResult> {
    const begun = performance.now();
    const p = new Promise<PrestopResult>((resolve) => {
      const w: Waiter = {
        begun,
        finish: (ended) => {
          if (!this.#waiters.delete(w)) return;
          const result: PrestopResult = { ended, waitedMs: Math.round(performance.now() - begun), detail: this.rules.detail(ended) };
          resolve(result);
          this.rules.answered(result);
        },
      };
      this.#waiters.add(w);
      if (this.#closed) w.finish('closed');
    });
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
    this.#checkAll();
    return p;
  }

  /** Ends every wait now with `ended`. */
  end(ended: PrestopEnd): void {
    for (const w of [...this.#waiters]) w.finish(ended);
  }

  /** Resolves once no wait is in progress. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Answers every wait with `closed`; later waits are answered `closed` at once. */
  close(): void {
    this.#closed = true;
    this.#check.close();
    this.end('closed');
  }

  #checkAll(): void {
    for (const w of [...this.#waiters]) {
      const ended = this.rules.check(w.begun);
      if (ended) w.finish(ended);
    }
    if (this.#waiters.size > 0) this.#check.runIn(100);
    else this.#check.cancel();
  }
}

/**
 * When `/v1/prestop` must answer at the latest: the pod's deletion deadline (`deletionTimestamp`; without one, the
 * drain's start + `terminationGracePeriodSeconds`) minus the app's drain budget, so the app keeps its budget.
 */
export function prestopDeadline(pod: V1Pod | null, drainStartedAt: number, appDrainBudgetMs: number): number {
  const dts = pod?.metadata?.deletionTimestamp;
  if (dts) return new Date(dts as unknown as string).getTime() - appDrainBudgetMs;
  const grace = pod?.spec?.terminationGracePeriodSeconds ?? 30;
  return drainStartedAt + grace * 1000 - appDrainBudgetMs;
}

/**
 * {@link prestopDeadline} on the monotonic clock (`performance.now()` ms), so that a wall clock moved by an hour
 * during the wait neither ends it at once nor holds it for the hour: without a `deletionTimestamp`, counted from the
 * drain's start; with one (the API server's wall-clock time), read against this machine's wall clock once, when
 * first seen.
 */
export class MonotonicDeadline {
  #seen: { wall: number; at: number } | null = null;

  /** `wall`: the deadline in epoch ms; `drain`: its start on both clocks (null before draining). */
  at(wall: number, deleting: boolean, drain: { startedAt: number; startedAtMs: number } | null): number {
    if (!deleting && drain) return drain.startedAtMs + (wall - drain.startedAt);
    if (this.#seen?.wall !== wall) this.#seen = { wall, at: performance.now() + (wall - Date.now()) };
    return this.#seen.at;
  }
}

/**
 * What ends a wait that began at `begun` now (the engine's rules), or null to keep waiting. `begun` and `deadline`
 * are on the monotonic clock (`performance.now()` ms; the deadline from {@link MonotonicDeadline}).
 */
export function prestopEnd(
  d: Draining | null,
  begun: number,
  s: { deadline: number; evidenceAvailable: boolean; fallbackDelayMs: number },
): Exclude<PrestopEnd, 'closed'> | null {
  const now = performance.now();
  if (d !== null && d.deregisteredAt !== null) return 'deregistered';
  if (now >= s.deadline) return 'deadline';
  if (!s.evidenceAvailable && now - (d?.startedAtMs ?? begun) >= s.fallbackDelayMs) return 'fallback-delay';
  return null;
}

/** On the first read of the pod: a drain budget that eats the whole grace period makes /v1/prestop useless. */
export function drainBudgetWarning(pod: V1Pod, appDrainBudgetMs: number): string | null {
  const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (grace * 1000 > appDrainBudgetMs) return null;
  return `--app-drain-budget (${formatDuration(appDrainBudgetMs)}) is not below the pod's terminationGracePeriodSeconds (${formatDuration(grace * 1000)}): /v1/prestop will answer at once, without waiting for the load balancer; raise terminationGracePeriodSeconds or lower --app-drain-budget`;
}

/** The `detail` of an answer. `noEvidence`: why no evidence is available (for `fallback-delay`). */
export function prestopDetail(ended: PrestopEnd, s: { noEvidence: string; fallbackDelayMs: number; appDrainBudgetMs: number }): string {
  switch (ended) {
    case 'deregistered':
      return 'the target is deregistered from every target group';
    case 'fallback-delay':
      return `no evidence available (${s.noEvidence}): fixed delay ${formatDuration(s.fallbackDelayMs)}`;
    case 'deadline':
      return `the deletion deadline minus the app's drain budget (${formatDuration(s.appDrainBudgetMs)}) was reached`;
    case 'closed':
      return 'the sidecar is shutting down';
  }
}
