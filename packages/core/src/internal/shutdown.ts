import type { ResolvedConfig } from './config.js';
import type { DrainWatch } from './drain-watch.js';
import { formatDuration, parseDuration } from './duration.js';
import { DraingateConfigError } from './errors.js';
import type { Lifecycle } from './lifecycle.js';
import type { Requests } from './requests.js';
import type { ServerSet, TrackedServer } from './servers.js';
import type { CheckOptions, EmitFn, PhaseDurations, ShutdownHookFn, ShutdownResult, ShutdownTrigger } from './types.js';
import { monotonicNow, withTimeout } from './util.js';

interface Hook {
  name: string;
  fn: ShutdownHookFn;
  /** Its own timeout, or `null`: a share of what the own timeouts leave of `hooksTimeout`. */
  timeout: number | null;
}

const TIMED_OUT = Symbol('timed out');

export interface ShutdownOptions {
  config: Pick<ResolvedConfig, 'drainTimeout' | 'hooksTimeout' | 'signals' | 'exit' | 'logger'>;
  lifecycle: Lifecycle;
  servers: ServerSet;
  requests: Pick<Requests, 'inflight' | 'closeAfterInflight' | 'destroyInflight'>;
  drainWatch: Pick<DrainWatch, 'begin' | 'watch'>;
  emit: EmitFn;
  /** Called once stopped, before the process exits: release what outlives the servers (management, signals). */
  release: () => void;
}

/**
 * The stop sequence (DESIGN §2): draining until evidence, then stopping (stop accepting, `Connection: close`,
 * wait for in-flight requests until `drainTimeout`, cut what is left), then the shutdown hooks, the exit code,
 * and the exit when Kubernetes asked for it.
 */
export class Shutdown {
  readonly #config: ShutdownOptions['config'];
  readonly #lifecycle: Lifecycle;
  readonly #servers: ServerSet;
  readonly #requests: ShutdownOptions['requests'];
  readonly #drainWatch: ShutdownOptions['drainWatch'];
  readonly #emit: EmitFn;
  readonly #release: () => void;
  readonly #hooks: Hook[] = [];
  #running: Promise<ShutdownResult> | null = null;
  #checkDrained: (() => void) | null = null;
  #forced = 0;
  /** Durations of `stopping` and `hooks` (draining's is the drain watch's). */
  readonly phaseDurations: PhaseDurations = {};

  constructor(options: ShutdownOptions) {
    this.#config = options.config;
    this.#lifecycle = options.lifecycle;
    this.#servers = options.servers;
    this.#requests = options.requests;
    this.#drainWatch = options.drainWatch;
    this.#emit = options.emit;
    this.#release = options.release;
  }

  /** Sockets destroyed at `drainTimeout` while busy. */
  get forcedSocketCloses(): number {
    return this.#forced;
  }

  /**
   * Registers a hook. Its own `timeout` reserves that much of `hooksTimeout`; hooks without one share what the own
   * timeouts leave. Own timeouts that add up to more than `hooksTimeout`, or leave nothing for a hook without one,
   * fail here (a hook whose turn comes with no time left would never run).
   */
  addHook(name: string, fn: ShutdownHookFn, options: CheckOptions = {}): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('draingate: addShutdownHook(name, fn) needs a non-empty name.');
    if (typeof fn !== 'function') throw new TypeError(`draingate: shutdown hook "${name}" needs a function.`);
    const hooksTimeout = this.#config.hooksTimeout;
    const timeout = options.timeout === undefined ? null : parseDuration(options.timeout, 'timeout', `shutdown hook "${name}" timeout`);
    const fix = 'raise hooksTimeout (DRAINGATE_HOOKS_TIMEOUT) and the grace period with it.';
    if (timeout !== null && timeout > hooksTimeout) {
      throw new DraingateConfigError(
        'hooksTimeout',
        `shutdown hook "${name}" has timeout ${formatDuration(timeout)}, more than hooksTimeout ${formatDuration(hooksTimeout)}: lower the hook's timeout or ${fix}`,
      );
    }
    const hooks = [...this.#hooks, { name, fn, timeout }];
    const own = hooks.reduce((sum, h) => sum + (h.timeout ?? 0), 0);
    const without = hooks.filter((h) => h.timeout === null).map((h) => `"${h.name}"`);
    if (own > hooksTimeout || (own === hooksTimeout && without.length > 0)) {
      const what = timeout === null ? 'has no timeout of its own' : `has timeout ${formatDuration(timeout)}`;
      const starved = own > hooksTimeout ? '' : `, which leaves no time for ${without.join(', ')} (no timeout of its own)`;
      throw new DraingateConfigError(
        'hooksTimeout',
        hooksTimeout === 0
          ? `hooksTimeout is 0s, which leaves no time for shutdown hook "${name}": ${fix}`
          : `shutdown hook "${name}" ${what}: with the other hooks' own timeouts that is ${formatDuration(own)} of hooksTimeout ${formatDuration(hooksTimeout)}${starved}: lower the timeouts or ${fix}`,
      );
    }
    this.#hooks.push({ name, fn, timeout });
  }

  /**
   * Adds a server that `attach()` tracks; one attached once stopping has begun (a signal came during a slow
   * start-up) is no longer wanted: it stops accepting at once, and `false` says so.
   */
  adopt(server: TrackedServer): boolean {
    this.#servers.add(server);
    const state = this.#lifecycle.state;
    if (state !== 'stopping' && state !== 'stopped') return true;
    this.#config.logger.warn({ state }, 'attach() while stopping: closing the server at once');
    void server.stopAccepting();
    return false;
  }

  /** Starts the sequence once; every call returns the same promise (the first trigger wins). */
  start(trigger: ShutdownTrigger): Promise<ShutdownResult> {
    if (!this.#running) this.#running = this.#run(trigger);
    return this.#running;
  }

  /** A request, connection or session ended: re-checks what the sequence is waiting for. */
  changed(): void {
    this.#checkDrained?.();
  }

  async #run(trigger: ShutdownTrigger): Promise<ShutdownResult> {
    const drained = this.#drainWatch.begin(trigger);
    // Same tick as the trigger: from here /readyz answers 503.
    this.#lifecycle.transition('draining', trigger);
    this.#requests.closeAfterInflight();
    this.#emit('draining', { trigger });
    this.#drainWatch.watch();
    const evidence = await drained;

    // Stopping: stop accepting, close idle connections, finish in-flight requests until drainTimeout.
    const stopStart = monotonicNow();
    const deadline = stopStart + this.#config.drainTimeout;
    this.#lifecycle.transition('stopping', `evidence: ${evidence.kind}`);
    // The events carry the deadline as wall-clock epoch ms (for the app's own timers); the gate keeps to its own.
    const deadlineAt = Date.now() + this.#config.drainTimeout;
    this.#emit('stopping', { deadline: deadlineAt });
    const closed = this.#servers.stopAccepting();
    this.#requests.closeAfterInflight();
    const upgraded = this.#servers.upgraded();
    if (upgraded.length > 0) this.#emit('drain', { sockets: upgraded, deadline: deadlineAt });
    await this.#waitUntil(() => this.#isIdle(), deadline);
    this.#forced += this.#cutRemaining();
    // Destroyed sockets report 'close' a tick later: wait for them so that the counts read 0 once stopped.
    await this.#waitUntil(() => this.#isIdle(), monotonicNow() + 250);
    await withTimeout(closed, 250, 'closing servers').catch((error: Error) =>
      this.#config.logger.warn({ error: error.message }, 'servers did not close'),
    );
    this.phaseDurations.stopping = Math.round(monotonicNow() - stopStart);

    const failedHooks = await this.#runHooks();

    const exitCode: 0 | 1 = this.#forced > 0 || failedHooks.length > 0 ? 1 : 0;
    const result: ShutdownResult = { exitCode, trigger, evidence, forcedSocketCloses: this.#forced, failedHooks };
    this.#lifecycle.transition('stopped', exitCode === 0 ? 'clean' : this.#forced > 0 ? 'forced socket closes' : 'hook failed');
    this.#emit('stopped', result);
    this.#release();
    if (this.#config.exit && this.#exitsProcess(trigger)) {
      // Let the log line and the stopped listeners' output flush first.
      setImmediate(() => process.exit(exitCode));
    }
    return result;
  }

  /**
   * Hooks, in reverse order of registration, within `hooksTimeout` altogether, and none can starve the others: each
   * hook's share (its own timeout, or an equal part of what the own timeouts leave) stays reserved until its turn.
   * A hook may run as long as its own timeout allows and the time left minus the shares of the hooks after it:
   * it gets what earlier hooks left unused, never what later ones are owed. Every hook starts. Returns the names
   * of those that failed or timed out.
   */
  async #runHooks(): Promise<string[]> {
    const budget = this.#config.hooksTimeout;
    const hooksStart = monotonicNow();
    const hooks = [...this.#hooks].reverse();
    const own = hooks.reduce((sum, h) => sum + (h.timeout ?? 0), 0);
    const without = hooks.filter((h) => h.timeout === null).length;
    const shares = hooks.map((h) => h.timeout ?? (budget - own) / without);
    const failedHooks: string[] = [];
    const logger = this.#config.logger;
    for (const [i, hook] of hooks.entries()) {
      const owedLater = shares.slice(i + 1).reduce((sum, share) => sum + share, 0);
      const left = budget - (monotonicNow() - hooksStart) - owedLater;
      const limit = Math.max(0, Math.floor(Math.min(hook.timeout ?? left, left)));
      const t0 = monotonicNow();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        Promise.resolve()
          .then(hook.fn)
          .then(
            () => null,
            (error: unknown) => ({ error }),
          ),
        new Promise<typeof TIMED_OUT>((resolve) => {
          timer = setTimeout(() => resolve(TIMED_OUT), limit);
        }),
      ]).finally(() => clearTimeout(timer));
      const durationMs = Math.round(monotonicNow() - t0);
      if (outcome === null) {
        logger.debug({ hook: hook.name, durationMs }, `shutdown hook "${hook.name}" done`);
        continue;
      }
      failedHooks.push(hook.name);
      if (outcome === TIMED_OUT) {
        const bound =
          hook.timeout !== null && limit >= hook.timeout
            ? `its timeout ${formatDuration(hook.timeout)}`
            : `its share of hooksTimeout ${formatDuration(budget)}`;
        logger.error(
          { hook: hook.name, durationMs, limitMs: limit },
          `shutdown hook "${hook.name}" timed out after ${durationMs}ms (${bound})`,
        );
      } else {
        const error = (outcome.error as Error)?.message ?? String(outcome.error);
        logger.error({ hook: hook.name, durationMs, error }, `shutdown hook "${hook.name}" failed after ${durationMs}ms: ${error}`);
      }
    }
    this.phaseDurations.hooks = Math.round(monotonicNow() - hooksStart);
    return failedHooks;
  }

  /**
   * Kubernetes ended the pod (a signal, or the preStop endpoint): exit once stopped. A shutdown the app
   * started itself (`gate.shutdown()`, `fastify.close()`) resolves and leaves the process to the caller.
   */
  #exitsProcess(trigger: ShutdownTrigger): boolean {
    return trigger === 'prestop' || (this.#config.signals as readonly string[]).includes(trigger);
  }

  /**
   * Nothing left to wait for: no request in flight, and no connection open. Node closes idle keep-alive
   * connections itself once the server is closing; one that is still open is busy, e.g. with a request whose
   * head is still arriving, which Node will hand to us (and close after, `Connection: close`).
   */
  #isIdle(): boolean {
    return this.#requests.inflight === 0 && this.#servers.connections === 0;
  }

  /**
   * Resolves once `predicate` holds (re-checked whenever a request, connection or session ends) or at `deadline`
   * ({@link monotonicNow} ms).
   */
  #waitUntil(predicate: () => boolean, deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#checkDrained = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - monotonicNow()));
      this.#checkDrained = () => {
        if (predicate()) done();
      };
      this.#checkDrained();
    });
  }

  /** At the deadline: destroys every connection still open; returns how many were busy (cut). */
  #cutRemaining(): number {
    this.#servers.closeIdle();
    const forced = this.#servers.openSockets();
    if (forced > 0) {
      this.#config.logger.warn(
        { sockets: forced, inflight: this.#requests.inflight, drainTimeout: this.#config.drainTimeout },
        'drainTimeout reached: cutting connections still busy',
      );
    }
    this.#requests.destroyInflight();
    this.#servers.destroyAll();
    return forced;
  }
}
