import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type GateOptions, type ResolvedConfig, resolveConfig } from './config.js';
import { DrainWatch } from './drain-watch.js';
import type { ConfigSource } from './errors.js';
import type { DrainEvidence } from './evidence.js';
import { LbHealthChecks } from './lb-health-checks.js';
import { Lifecycle, type LifecycleState, type StateChange } from './lifecycle.js';
import { Management } from './management.js';
import { createMetrics, type GateMetrics } from './metrics.js';
import { Readiness } from './readiness.js';
import { Requests } from './requests.js';
import { type AnyServer, ServerSet, TrackedServer } from './servers.js';
import { settingOf } from './settings.js';
import { Shutdown } from './shutdown.js';
import { SidecarClient } from './sidecar-client.js';
import { SignalListeners } from './signals.js';
import { GateStatus } from './status.js';
import { PeerTraffic } from './traffic.js';
import type {
  CheckOptions,
  GateEvents,
  ReadinessCheckFn,
  ReadinessResult,
  ShutdownHookFn,
  ShutdownResult,
  ShutdownTrigger,
  StatusReport,
} from './types.js';
import { monotonicNow } from './util.js';

const unset = (): never => {
  throw new Error('draingate: gate.ts did not load');
};

/**
 * Module-private access to a gate's internals for the internal entry's adapter functions (adapter.ts), set by
 * `Gate`'s static block: adapters reach the hot path without the public `Gate` type advertising it.
 */
export const gateAccess: {
  isGate(value: unknown): value is Gate;
  requests(gate: Gate): Requests;
  attach(gate: Gate, server: AnyServer, handleRequests: boolean): Gate;
} = { isGate: (_value): _value is Gate => unset(), requests: unset, attach: unset };

/**
 * The lifecycle engine (DESIGN §2-4). One per process: it owns the signal handlers and, by default, the exit.
 * It wires the rooms together: requests.ts (the hot path), readiness.ts, drain-watch.ts (evidence),
 * shutdown.ts (the stop sequence), management.ts (the management listener) and status.ts (`/status`, metrics).
 *
 * Events: `state` ({@link StateChange}), `draining`, `stopping` ({ deadline }), `drain` ({ sockets, deadline }:
 * upgraded sockets to close before the deadline), `stopped` ({@link ShutdownResult}), `forced` (second signal).
 */
export class Gate extends EventEmitter<GateEvents> {
  readonly config: ResolvedConfig;
  readonly #lifecycle = new Lifecycle((change) => this.#onTransition(change));
  readonly #servers = new ServerSet();
  readonly #traffic = new PeerTraffic();
  readonly #readiness = new Readiness(this.#lifecycle);
  readonly #requests: Requests;
  readonly #drainWatch: DrainWatch;
  readonly #shutdown: Shutdown;
  readonly #management: Management;
  readonly #status: GateStatus;
  readonly #metrics: GateMetrics | null;
  readonly #signals: SignalListeners;
  #signalsReceived = 0;

  static {
    // What the internal entry's adapter functions reach (adapter.ts); not part of the Gate type.
    gateAccess.isGate = (value) => typeof value === 'object' && value !== null && #requests in value;
    gateAccess.requests = (gate) => gate.#requests;
    gateAccess.attach = (gate, server, handleRequests) => gate.#attach(server, handleRequests);
  }

  constructor(options: GateOptions = {}) {
    super();
    const config = resolveConfig(options);
    this.config = config;
    const startedAt = monotonicNow();
    const [lifecycle, servers, traffic, readiness] = [this.#lifecycle, this.#servers, this.#traffic, this.#readiness];
    const lb = new LbHealthChecks(config.lbUnhealthyThreshold);
    const sidecar = config.sidecarUrl ? new SidecarClient(config.sidecarUrl, config.sidecarPollInterval, config.logger) : null;
    const drainWatch = new DrainWatch({ config, traffic, lb, sidecar });
    const requests = new Requests({
      config,
      lifecycle,
      traffic,
      lb,
      servers,
      checkReadiness: () => this.checkReadiness(),
      onLbCheckFailed: () => drainWatch.evaluate(),
      onSettled: () => shutdown.changed(),
    });
    const shutdown = new Shutdown({
      config,
      lifecycle,
      servers,
      requests,
      drainWatch,
      emit: (event, ...args) => this.#emit(event, ...args),
      release: () => {
        void this.#management.close();
        this.#signals.remove();
      },
    });
    this.#drainWatch = drainWatch;
    this.#requests = requests;
    this.#shutdown = shutdown;
    this.#status = new GateStatus({ config, lifecycle, startedAt, servers, readiness, lb, sidecar, requests, drainWatch, shutdown });
    this.#metrics = createMetrics(config.metrics, this.#status);
    this.#management = new Management({
      config,
      metrics: this.#metrics,
      probe: (req, res, path) => requests.answerProbe(req, res, path),
      status: () => (sidecar?.fetchIfStale() ?? Promise.resolve()).then(() => this.status()),
      prestop: () => {
        void this.shutdown('prestop');
        return this.drained;
      },
      state: () => this.state,
      sourceOf: (setting) => sourceOf(options, setting),
    });
    this.#signals = new SignalListeners(config.signals, config.logger, (signal) => this.#onSignal(signal));
  }

  get state(): LifecycleState {
    return this.#lifecycle.state;
  }

  /** Epoch ms of the last transition. */
  get since(): number {
    return this.#lifecycle.since;
  }

  /** Requests being served now, on every attached server. */
  get inflight(): number {
    return this.#requests.inflight;
  }

  /** Open client connections on every attached server. */
  get connections(): number {
    return this.#servers.connections;
  }

  /** The prom-client registry draingate's metrics are in, or `null` when metrics are off. */
  get metricsRegistry(): GateMetrics['registry'] | null {
    return this.#metrics?.registry ?? null;
  }

  /** Resolves when draining has ended (on evidence or `maxDelay`). Starts nothing by itself. */
  get drained(): Promise<DrainEvidence> | null {
    return this.#drainWatch.drained;
  }

  /**
   * The app is warmed up: `starting` → `ready` (no effect once shutdown has begun). With `managementPort`, only once
   * the management listener listens (it is started here if no server was attached yet); when it cannot listen the
   * gate stays `starting` and the promise rejects with a {@link DraingateConfigError} naming the setting. Without
   * one, or once it listens, the gate is ready in the same tick. Handle the rejection (the examples print its one
   * line and exit 2): left unhandled it ends the process, as Node does with any unhandled rejection.
   */
  ready(): Promise<void> {
    const become = (): void => {
      if (this.state === 'starting') this.#lifecycle.transition('ready', 'ready()');
    };
    const listening = this.#management.listen();
    if (this.#management.up) {
      become();
      return Promise.resolve();
    }
    return listening.then(become);
  }

  /** Registers a readiness check, run on every `/readyz`; while any fails the gate is `unready` (503). */
  addReadinessCheck(name: string, fn: ReadinessCheckFn, options: CheckOptions = {}): this {
    this.#readiness.add(name, fn, options);
    return this;
  }

  /** Runs every readiness check (concurrent callers share one run) and moves between `ready` and `unready`. */
  checkReadiness(): Promise<ReadinessResult[]> {
    return this.#readiness.run();
  }

  /**
   * Registers a shutdown hook. Hooks run after connections have drained, in reverse order of registration,
   * each bounded by its timeout (default: `hooksTimeout`) and all together by `hooksTimeout`.
   */
  addShutdownHook(name: string, fn: ShutdownHookFn, options: CheckOptions = {}): this {
    this.#shutdown.addHook(name, fn, options);
    return this;
  }

  /**
   * Attaches a `node:http`, `node:https` or `node:http2` server: connection tracking, probes, draining
   * behaviour and graceful stop. Starts the management listener on first use when `managementPort` is set; if it
   * cannot listen, `ready()` rejects (and the error is logged if nobody asked within a second).
   */
  attach(server: AnyServer): this {
    return this.#attach(server, true);
  }

  /** `handleRequests: false`: a framework adapter routes each request through `handleRequest()` (adapter.ts). */
  #attach(server: AnyServer, handleRequests: boolean): this {
    const requests = this.#requests;
    const tracked = new TrackedServer(server, {
      onRequest: handleRequests ? (req, res) => requests.handleRequest(req, res) : null,
      onChange: () => this.#shutdown.changed(),
      onUpgrade: (req) => this.#traffic.record(monotonicNow(), req.socket?.remoteAddress),
    });
    this.#servers.add(tracked);
    if (this.state === 'stopping' || this.state === 'stopped') {
      // A signal came during a slow start-up: this server is no longer wanted.
      this.config.logger.warn({ state: this.state }, 'attach() while stopping: closing the server at once');
      void tracked.stopAccepting();
      return this;
    }
    if (this.config.readyOnListen) {
      // Nobody awaits these: a management listener that cannot listen is an unhandled rejection, which ends the
      // process (start-up must not pass silently). Apps that want to handle it call `gate.ready()` themselves.
      if (server.listening) void this.ready();
      else server.once('listening', () => void this.ready());
    }
    void this.#management.start();
    return this;
  }

  /**
   * Begins shutdown: draining (readiness fails at once; requests still served, with `Connection: close`) until
   * deregistration evidence, then stopping and hooks. Idempotent: every call returns the same promise (and the
   * first trigger wins). The process exits (with `exit: true`) only when a signal or `/prestop` started it.
   */
  shutdown(trigger: ShutdownTrigger = 'shutdown()'): Promise<ShutdownResult> {
    return this.#shutdown.start(trigger);
  }

  /**
   * Starts the management listener (once) when `managementPort` is set; resolves to its address, or `null`. Rejects
   * with a {@link DraingateConfigError} naming `managementPort` or `managementHost` when it cannot listen.
   */
  listenManagement(): Promise<AddressInfo | null> {
    return this.#management.listen();
  }

  /** A snapshot of everything `/status` shows. */
  status(): StatusReport {
    return this.#status.report();
  }

  /**
   * Releases the gate without shutting down: removes signal handlers, stops timers and the management
   * listener. For tests and for apps that create a gate they end up not using.
   */
  async dispose(): Promise<void> {
    this.#drainWatch.dispose();
    this.#signals.remove();
    await this.#management.dispose();
  }

  #onTransition(change: StateChange): void {
    const level = change.to === 'unready' ? 'warn' : 'info';
    this.config.logger[level]({ from: change.from, to: change.to, reason: change.reason }, `state ${change.from} -> ${change.to}`);
    this.#emit('state', change);
  }

  /** A throwing listener must not derail shutdown: it is logged and the sequence goes on. */
  #emit<K extends keyof GateEvents>(event: K, ...args: GateEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: GateEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.config.logger.error({ event, error: (error as Error)?.message ?? String(error) }, `a "${event}" listener threw`);
    }
  }

  /** The first signal starts shutdown; a second one forces the exit at once. */
  #onSignal(signal: NodeJS.Signals): void {
    this.#signalsReceived++;
    if (this.#signalsReceived > 1) {
      this.config.logger.error({ signal, state: this.state }, `second ${signal}: forcing exit now`);
      this.#emit('forced', { signal });
      if (this.config.exit) process.exit(1);
      return;
    }
    this.config.logger.info({ signal }, `${signal} received`);
    void this.shutdown(signal);
  }
}

/** Where a management setting came from: the option, else its `DRAINGATE_*` variable, else the default. */
function sourceOf(options: GateOptions, setting: 'managementPort' | 'managementHost'): ConfigSource {
  const variable = settingOf(setting).env as string;
  if (options[setting] !== undefined) return { setting, from: 'option', name: setting };
  const env = options.env ?? process.env;
  if (env[variable] !== undefined && env[variable] !== '') return { setting, from: 'env', name: variable };
  return { setting, from: 'default', name: setting };
}

/** Creates the lifecycle gate. Reads `DRAINGATE_*` from the environment; options win. Throws on invalid config. */
export function createGate(options: GateOptions = {}): Gate {
  return new Gate(options);
}
