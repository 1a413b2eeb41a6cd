/**
 * What the fake ELBv2 models of an AWS account beyond scripted states (for benchmarks at scale):
 *
 * - {@link AccountBucket}: ELBv2 throttles per account and region with a token bucket shared by every caller (AWS's
 *   documented example for Describe* actions: bucket 40, refill 10/s; research/aws-facts.md). A call that finds it
 *   empty is answered `Throttling` ("Rate exceeded"), as ELBv2 does. Counted per caller (the SigV4 access key id, or
 *   a name for in-process callers such as an emulated load balancer controller).
 * - {@link TargetLifecycle}: targets move on their own, as the API shows them: `initial` after RegisterTargets,
 *   `healthy` one health-check interval later (a new target must pass one check: ALB health-check docs),
 *   `draining` at once after DeregisterTargets, gone (`unused` / `Target.NotRegistered`) after the deregistration
 *   delay. Every transition is kept with its time, so a benchmark can measure from "the target turned healthy".
 */

export interface CallerStats {
  calls: number;
  throttled: number;
}

export class AccountBucket {
  #tokens: number;
  #at = Date.now();
  readonly byCaller: Map<string, CallerStats> = new Map();
  /** Every Describe* call: when, who, and whether it was throttled (for calls/s over time). */
  readonly log: { at: number; caller: string; action: string; throttled: boolean }[] = [];

  constructor(
    readonly burst: number = 40,
    readonly refillPerSecond: number = 10,
  ) {
    this.#tokens = burst;
  }

  /** One call by `caller`: true when a token was left, false when it is throttled. */
  take(caller: string, action: string): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.refillPerSecond);
    this.#at = now;
    const ok = this.#tokens >= 1;
    if (ok) this.#tokens -= 1;
    const s = this.byCaller.get(caller) ?? { calls: 0, throttled: 0 };
    s.calls++;
    if (!ok) s.throttled++;
    this.byCaller.set(caller, s);
    this.log.push({ at: now, caller, action, throttled: !ok });
    return ok;
  }

  /** Calls and throttled calls of callers whose name starts with `prefix` (all: ''). */
  total(prefix = ''): CallerStats {
    const t = { calls: 0, throttled: 0 };
    for (const [caller, s] of this.byCaller) {
      if (!caller.startsWith(prefix)) continue;
      t.calls += s.calls;
      t.throttled += s.throttled;
    }
    return t;
  }
}

export interface LifecycleOptions {
  /** RegisterTargets → `healthy` (the target passed its first health check). */
  healthyAfterMs: number;
  /** DeregisterTargets → gone (the target group's deregistration delay). */
  deregistrationDelayMs: number;
}

/** One target's history in one target group (epoch ms; null: not yet). */
export interface TargetHistory {
  targetGroupArn: string;
  id: string;
  port: number;
  registeredAt: number;
  healthyAt: number | null;
  drainingAt: number | null;
  goneAt: number | null;
}

/** Where the lifecycle writes the states it moves a target to (the fake's own state table). */
export interface TargetStore {
  set(arn: string, id: string, port: number, state: 'initial' | 'healthy' | 'draining'): void;
  remove(arn: string, id: string, port: number): void;
}

export class TargetLifecycle {
  readonly history: Map<string, TargetHistory> = new Map();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: TargetStore,
    readonly options: LifecycleOptions,
  ) {}

  #key(arn: string, id: string, port: number): string {
    return `${arn}|${id}:${port}`;
  }

  #after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  /** RegisterTargets: `initial`, then `healthy` after the interval (unless deregistered meanwhile). */
  register(arn: string, id: string, port: number): void {
    const key = this.#key(arn, id, port);
    const h = this.history.get(key);
    if (h && h.goneAt === null && h.drainingAt === null) return; // registered already
    const entry: TargetHistory = {
      targetGroupArn: arn,
      id,
      port,
      registeredAt: Date.now(),
      healthyAt: null,
      drainingAt: null,
      goneAt: null,
    };
    this.history.set(key, entry);
    this.store.set(arn, id, port, 'initial');
    this.#after(this.options.healthyAfterMs, () => {
      if (entry.drainingAt !== null) return;
      entry.healthyAt = Date.now();
      this.store.set(arn, id, port, 'healthy');
    });
  }

  /** DeregisterTargets: `draining` at once, gone after the deregistration delay. */
  deregister(arn: string, id: string, port: number): void {
    const entry = this.history.get(this.#key(arn, id, port));
    if (!entry || entry.drainingAt !== null) return;
    entry.drainingAt = Date.now();
    this.store.set(arn, id, port, 'draining');
    this.#after(this.options.deregistrationDelayMs, () => {
      entry.goneAt = Date.now();
      this.store.remove(arn, id, port);
    });
  }

  get(arn: string, id: string, port: number): TargetHistory | undefined {
    return this.history.get(this.#key(arn, id, port));
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
