import type { AnyServer, Gate, ShutdownTrigger } from '@draingate/core';
import { attachServer } from '@draingate/core/internal';
import type { INestApplication, OnApplicationBootstrap } from '@nestjs/common';

/** The part of a Nest application draingate uses: its HTTP server and its `close()`. */
type NestApp = Pick<INestApplication, 'getHttpServer' | 'close'>;

/**
 * Nest's own signal handling (`app.enableShutdownHooks()`) keeps its signals here (Nest 10 and 11): a private field,
 * read only to refuse a set-up that cannot work.
 */
function nestSignals(app: NestApp): string[] {
  const active = (app as { activeShutdownSignals?: unknown }).activeShutdownSignals;
  return Array.isArray(active) ? active.map(String) : [];
}

/**
 * The injectable face of draingate in a Nest app: the gate (readiness checks, shutdown hooks, state, events) and
 * `attach(app)`, which attaches the gate to the app's HTTP server and hands it Nest's `app.close()`, so that Nest's
 * shutdown hooks run after draining. Provided (globally) by `DraingateModule.forRoot()` / `forRootAsync()`.
 * Nothing here imports Nest at run time (types only): it works with whichever copy and major of Nest the app runs.
 */
export class DraingateService implements OnApplicationBootstrap {
  /** The lifecycle gate: `ready()`, `addReadinessCheck()`, `addShutdownHook()`, `shutdown()`, `status()`, events. */
  readonly gate: Gate;
  #app: NestApp | null = null;
  #trigger: ShutdownTrigger | null = null;

  constructor(gate: Gate) {
    this.gate = gate;
    gate.on('draining', ({ trigger }) => {
      this.#trigger = trigger;
      // enableShutdownHooks() called after start-up: Nest's handler runs beside the gate's on this signal.
      if (this.#app && nestSignals(this.#app).includes(String(trigger))) {
        gate.config.logger.error({ signal: trigger }, raceMessage([String(trigger)]));
      }
    });
  }

  /**
   * Attaches the gate to the HTTP server of `app` (Nest on Express or on Fastify) and takes over `app.close()`:
   * - on SIGTERM/SIGINT (the gate's signals), `/prestop` or `gate.shutdown()`, the gate drains and stops the
   *   server first, then calls Nest's `app.close()` as a shutdown hook: `onModuleDestroy`,
   *   `beforeApplicationShutdown`, the server close (nothing left to close) and `onApplicationShutdown` run after
   *   the last request finished;
   * - `app.close()` called by your code runs the whole gate shutdown first (bounded by `maxDelay` and
   *   `drainTimeout`), then Nest's close.
   * Call it after `NestFactory.create()` and before `app.listen()`. Throws if `app.enableShutdownHooks()` was called
   * for one of the gate's signals (both would handle it; Nest's would destroy modules and close the server at once).
   * Returns `app`.
   */
  attach<A extends NestApp>(app: A): A {
    if (this.#app === app) return app;
    if (this.#app !== null) throw new TypeError('@draingate/nestjs: attach(app) was already called with another Nest application.');
    if (app === null || typeof app !== 'object' || typeof app.close !== 'function' || typeof app.getHttpServer !== 'function') {
      throw new TypeError('@draingate/nestjs: attach(app) takes the Nest application NestFactory.create() returned.');
    }
    this.#checkSignals(app);
    this.#app = app;
    attachServer(this.gate, app.getHttpServer() as AnyServer);
    const nestClose = ownClose(app);
    let closing: Promise<void> | null = null;
    // Nest's own close runs once, whoever asks first: the gate's hook (after draining) or app.close() below.
    const closeNest = (): Promise<void> => {
      const signal =
        this.#trigger !== null && this.gate.config.signals.includes(this.#trigger as NodeJS.Signals) ? this.#trigger : undefined;
      closing ??= (nestClose as (this: A, signal?: string) => Promise<void>).call(app, signal);
      return closing;
    };
    this.gate.addShutdownHook('nest app.close()', closeNest);
    const close = (): Promise<void> => this.gate.shutdown('app.close()').then(closeNest);
    Object.defineProperty(app, 'close', { value: close, configurable: true, writable: true });
    return app;
  }

  /** Nest calls it at the end of `app.init()` (inside `app.listen()`): the last moment to refuse a racing set-up. */
  onApplicationBootstrap(): void {
    if (this.#app) {
      this.#checkSignals(this.#app);
      return;
    }
    this.gate.config.logger.warn(
      {},
      "@draingate/nestjs: attach(app) was not called: the gate sees no server (no /livez, /readyz: the pod never turns Ready) and Nest's shutdown hooks are not run after draining. Call app.get(DraingateService).attach(app) before app.listen().",
    );
  }

  #checkSignals(app: NestApp): void {
    const both = nestSignals(app).filter((signal) => this.gate.config.signals.includes(signal as NodeJS.Signals));
    if (both.length > 0) throw new Error(raceMessage(both));
  }
}

/**
 * Nest's `close` itself, not what reading `app.close` gives: NestFactory returns a Proxy whose getter wraps each method
 * in a closure that looks the method up again at call time, which would find the wrapper `attach()` installs.
 */
function ownClose(app: NestApp): NestApp['close'] {
  const own: unknown = Object.getOwnPropertyDescriptor(app, 'close')?.value;
  if (typeof own === 'function') return own as NestApp['close'];
  return (Object.getPrototypeOf(app) as NestApp).close;
}

function raceMessage(signals: string[]): string {
  return `@draingate/nestjs: app.enableShutdownHooks() handles ${signals.join(', ')}, which draingate handles too: Nest's handler would run onModuleDestroy and close the server at once, while the load balancer still sends requests, then re-send the signal (which the gate takes as a second signal: exit 1). Remove app.enableShutdownHooks() (draingate runs Nest's shutdown hooks after draining), or give it only other signals.`;
}
