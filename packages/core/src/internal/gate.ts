import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type GateOptions, type ResolvedConfig, resolveConfig } from './config.js';
import { DrainWatch } from './drain-watch.js';
import { announceTransition, guardedEmit } from './events.js';
import type { DrainEvidence } from './evidence.js';
import { gateAccess } from './gate-access.js';
import { LbHealthChecks } from './lb-health-checks.js';
import { Lifecycle, type LifecycleState } from './lifecycle.js';
import { Management } from './management.js';
import type { GateMetrics } from './metrics.js';
import { Readiness } from './readiness.js';
import { Requests } from './requests.js';
import { type AnyServer, ServerSet, TrackedServer } from './servers.js';
import { Shutdown } from './shutdown.js';
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

/**
 * The lifecycle engine (DESIGN §2-4). One per process: it owns the signal handlers and, by default, the exit.
 * Events: `state` ({@link StateChange}), `draining`, `stopping` ({ deadline }), `drain` ({ sockets, deadline }:
 * upgraded sockets to close before the deadline), `stopped` ({@link ShutdownResult}), `forced` (second signal).
 */
export class Gate extends EventEmitter<GateEvents> {
  readonly config: ResolvedConfig;
  readonly #rooms: ReturnType<typeof wire>;

  static {
    gateAccess.isGate = (value) => typeof value === 'object' && value !== null && #rooms in value;
    gateAccess.requests = (gate) => (gate as Gate).#rooms.requests;
    gateAccess.attach = (gate, server, handleRequests) => (gate as Gate).#attach(server, handleRequests);
  }

  constructor(options: GateOptions = {}) {
    super();
    this.config = resolveConfig(options);
    this.#rooms = wire(this, options, this.config);
  }

  get state(): LifecycleState {
    return this.#rooms.lifecycle.state;
  }

  /** Epoch ms of the last transition. */
  get since(): number {
    return this.#rooms.lifecycle.since;
  }

  /** Requests being served now, on every attached server. */
  get inflight(): number {
    return this.#rooms.requests.inflight;
  }

  /** Open client connections on every attached server. */
  get connections(): number {
    return this.#rooms.servers.connections;
  }

  /** The prom-client registry draingate's metrics are in, or `null` when metrics are off. */
  get metricsRegistry(): GateMetrics['registry'] | null {
    return this.#rooms.status.metrics?.registry ?? null;
  }

  /** Resolves when draining has ended (on evidence or `maxDelay`). Starts nothing by itself. */
  get drained(): Promise<DrainEvidence> | null {
    return this.#rooms.drainWatch.drained;
  }

  /**
   * The app is warmed up: `starting` → `ready` (no effect once shutdown has begun). With `managementPort`, only once
   * the management listener listens (it is started here if no server was attached yet); when it cannot listen the
   * gate stays `starting` and the promise rejects with a {@link DraingateConfigError} naming the setting. Without
   * one, or once it listens, the gate is ready in the same tick. Handle the rejection (the examples print its one
   * line and exit 2): left unhandled it ends the process, as Node does with any unhandled rejection.
   */
  ready(): Promise<void> {
    return this.#rooms.management.whenListening(() => this.#rooms.readiness.warmedUp());
  }

  /** Registers a readiness check, run on every `/readyz`; while any fails the gate is `unready` (503). */
  addReadinessCheck(name: string, fn: ReadinessCheckFn, options: CheckOptions = {}): this {
    this.#rooms.readiness.add(name, fn, options);
    return this;
  }

  /** Runs every readiness check (concurrent callers share one run) and moves between `ready` and `unready`. */
  checkReadiness(): Promise<ReadinessResult[]> {
    return this.#rooms.readiness.run();
  }

  /**
   * Registers a shutdown hook. Hooks run after connections have drained, in reverse order of registration,
   * each bounded by its timeout (default: `hooksTimeout`) and all together by `hooksTimeout`.
   */
  addShutdownHook(name: string, fn: ShutdownHookFn, options: CheckOptions = {}): this {
    this.#rooms.shutdown.addHook(name, fn, options);
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

  #attach(server: AnyServer, handleRequests: boolean): this {
    const { requests, shutdown, traffic } = this.#rooms;
    const tracked = new TrackedServer(server, {
      onRequest: handleRequests ? (req, res) => requests.handleRequest(req, res) : null,
      onChange: () => shutdown.changed(),
      onUpgrade: (req) => traffic.record(monotonicNow(), req.socket?.remoteAddress),
    });
    if (!shutdown.adopt(tracked)) return this;
    // Nobody awaits this ready(): a management listener that cannot listen is an unhandled rejection, which ends the
    // process (start-up must not pass silently). Apps that want to handle it call `gate.ready()` themselves.
    if (this.config.readyOnListen) tracked.whenListening(() => void this.ready());
    void this.#rooms.management.start();
    return this;
  }

  /**
   * Begins shutdown: draining (readiness fails at once; requests still served, with `Connection: close`) until
   * deregistration evidence, then stopping and hooks. Idempotent: every call returns the same promise (and the
   * first trigger wins). The process exits (with `exit: true`) only when a signal or `/prestop` started it.
   */
  shutdown(trigger: ShutdownTrigger = 'shutdown()'): Promise<ShutdownResult> {
    return this.#rooms.shutdown.start(trigger);
  }

  /**
   * Starts the management listener (once) when `managementPort` is set; resolves to its address, or `null`. Rejects
   * with a {@link DraingateConfigError} naming `managementPort` or `managementHost` when it cannot listen.
   */
  listenManagement(): Promise<AddressInfo | null> {
    return this.#rooms.management.listen();
  }

  /** A snapshot of everything `/status` shows. */
  status(): StatusReport {
    return this.#rooms.status.report();
  }

  /**
   * Releases the gate without shutting down: removes signal handlers, stops timers and the management
   * listener. For tests and for apps that create a gate they end up not using.
   */
  async dispose(): Promise<void> {
    this.#rooms.drainWatch.dispose();
    this.#rooms.signals.remove();
    await this.#rooms.management.dispose();
  }
}

/** Creates the lifecycle gate. Reads `DRAINGATE_*` from the environment; options win. Throws on invalid config. */
export function createGate(options: GateOptions = {}): Gate {
  return new Gate(options);
}

/** Builds the rooms a gate owns and hands each what it uses (the README's "Inside" says what each room owns). */
function wire(gate: Gate, options: GateOptions, config: ResolvedConfig) {
  const emit = guardedEmit(gate, config.logger);
  const lifecycle = new Lifecycle(announceTransition(config.logger, emit));
  const [servers, traffic, lb] = [new ServerSet(), new PeerTraffic(), new LbHealthChecks(config.lbUnhealthyThreshold)];
  const readiness = new Readiness(lifecycle);
  const drainWatch = new DrainWatch({ config, traffic, lb });
  const requests = new Requests({
    config,
    lifecycle,
    traffic,
    lb,
    servers,
    checkReadiness: () => readiness.run(),
    onLbCheckFailed: () => drainWatch.evaluate(),
    onSettled: () => shutdown.changed(),
  });
  const release = () => {
    void management.close();
    signals.remove();
  };
  const shutdown = new Shutdown({ config, lifecycle, servers, requests, drainWatch, emit, release });
  const status = new GateStatus({ config, lifecycle, servers, readiness, lb, requests, drainWatch, shutdown });
  const management = new Management({ config, gateOptions: options, requests, status, shutdown, drainWatch, lifecycle });
  const signals = new SignalListeners(config, { shutdown, emit, lifecycle });
  return { lifecycle, servers, traffic, readiness, requests, drainWatch, shutdown, status, management, signals };
}
