import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type { Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type GateOptions, type ResolvedConfig, resolveConfig } from './config.js';
import { formatDuration, parseDuration } from './duration.js';
import { DraingateConfigError } from './errors.js';
import { type DrainEvidence, evaluateEvidence, LbHealthChecks, quietSignificance } from './evidence.js';
import { Lifecycle, type LifecycleState, STATES, type StateChange } from './lifecycle.js';
import { Management } from './management.js';
import { createMetrics, type GateMetrics, type MetricsSource } from './metrics.js';
import { Readiness } from './readiness.js';
import { type AnyRequest, type AnyResponse, type AnyServer, goawayAndClose, TrackedServer } from './servers.js';
import { SidecarClient } from './sidecar-client.js';
import { SignalListeners } from './signals.js';
import { TrafficRate } from './traffic.js';
import type {
  AttachOptions,
  CheckOptions,
  DrainReport,
  GateEvents,
  ReadinessCheckFn,
  ReadinessResult,
  ShutdownHookFn,
  ShutdownResult,
  ShutdownTrigger,
  StatusReport,
} from './types.js';
import { isHttp2, pathOf, sendJson, withTimeout } from './util.js';

interface Hook {
  name: string;
  fn: ShutdownHookFn;
  timeout: number;
}

/**
 * What a response in flight needs at close beyond itself, kept on the response only when there is any (HTTP/2
 * session, LB health-check source): a plain HTTP/1 request allocates nothing for tracking.
 */
interface ResponseExtra {
  session: Http2Session | null;
  lbSource: string | null;
}
const EXTRA = Symbol('draingate.response');
type Tracked = AnyResponse & { [EXTRA]?: ResponseExtra };

const KUBE_PROBE_UA = /^kube-probe\//;
const SEEN = Symbol.for('draingate.request');
const EVIDENCE_TICK_MS = 100;

/**
 * The lifecycle engine (DESIGN §2-4). One per process: it owns the signal handlers and, by default, the exit.
 *
 * Events: `state` ({@link StateChange}), `draining`, `stopping` ({ deadline }), `drain` ({ sockets, deadline }:
 * upgraded sockets to close before the deadline), `stopped` ({@link ShutdownResult}), `forced` (second signal).
 */
export class Gate extends EventEmitter<GateEvents> {
  readonly config: ResolvedConfig;
  readonly #lifecycle: Lifecycle;
  readonly #servers: TrackedServer[] = [];
  /** Responses in flight (their `req` is `res.req`). */
  readonly #active: Set<Tracked> = new Set();
  readonly #onResponseClose: (this: Tracked) => void;
  readonly #readiness: Readiness;
  readonly #hooks: Hook[] = [];
  readonly #traffic = new TrafficRate();
  readonly #lb: LbHealthChecks;
  readonly #requestsByPhase: Record<LifecycleState, number> = {
    starting: 0,
    ready: 0,
    unready: 0,
    draining: 0,
    stopping: 0,
    stopped: 0,
  };
  readonly #phaseDurations: Partial<Record<'draining' | 'stopping' | 'hooks', number>> = {};
  readonly #metrics: GateMetrics | null;
  readonly #startedAt = Date.now();
  readonly #signals: SignalListeners;
  readonly #sidecar: SidecarClient | null;
  readonly #management: Management;
  #signalsReceived = 0;
  #drain: DrainReport | null = null;
  #drainStartedAt = 0;
  #before: { rate: number; steadiness: number; spanSeconds: number } = { rate: 0, steadiness: 0, spanSeconds: 0 };
  #drainEnded: Promise<DrainEvidence> | null = null;
  #endDrain: ((e: DrainEvidence) => void) | null = null;
  #evidenceTimer: NodeJS.Timeout | null = null;
  #sidecarTimer: NodeJS.Timeout | null = null;
  #shutdown: Promise<ShutdownResult> | null = null;
  #checkDrained: (() => void) | null = null;
  #forced = 0;
  #disposed = false;

  constructor(options: GateOptions = {}) {
    super();
    this.config = resolveConfig(options);
    this.#lb = new LbHealthChecks(this.config.lbUnhealthyThreshold);
    const gate = this;
    // One listener function for every response: `this` is the response that closed.
    this.#onResponseClose = function onResponseClose(this: Tracked) {
      gate.#responseClosed(this);
    };
    this.#lifecycle = new Lifecycle((change) => this.#onTransition(change));
    this.#readiness = new Readiness(this.#lifecycle);
    const config = this.config;
    this.#sidecar = config.sidecarUrl ? new SidecarClient(config.sidecarUrl, config.sidecarPollInterval, config.logger) : null;
    const source: MetricsSource = {
      get state() {
        return gate.state;
      },
      get inflight() {
        return gate.inflight;
      },
      get connections() {
        return gate.connections;
      },
      requestsByPhase: this.#requestsByPhase,
      phaseDurations: this.#phaseDurations,
      get forcedSocketCloses() {
        return gate.#forced;
      },
      lbHealthChecks: this.#lb,
      get drainEvidenceKind() {
        return gate.#drain?.evidence?.kind ?? null;
      },
    };
    this.#metrics = createMetrics(this.config.metrics, source);
    this.#management = new Management({
      config,
      metrics: this.#metrics,
      probe: (req, res, path) => this.#probe(req, res, path, false, Date.now(), this.#lifecycle.shuttingDown),
      status: () => (this.#sidecar?.fetchIfStale() ?? Promise.resolve()).then(() => this.status()),
      prestop: () => {
        void this.shutdown('prestop');
        return this.#drainEnded;
      },
      state: () => this.state,
    });
    this.#signals = new SignalListeners(config.signals, config.logger, (signal) => this.#onSignal(signal));
  }

  // ---------------------------------------------------------------------------------------------- state

  get state(): LifecycleState {
    return this.#lifecycle.state;
  }

  /** Epoch ms of the last transition. */
  get since(): number {
    return this.#lifecycle.since;
  }

  /** Requests being served now, on every attached server. */
  get inflight(): number {
    return this.#active.size;
  }

  /** Open client connections on every attached server. */
  get connections(): number {
    let n = 0;
    for (const s of this.#servers) n += s.connections;
    return n;
  }

  /** The prom-client registry draingate's metrics are in, or `null` when metrics are off. */
  get metricsRegistry(): GateMetrics['registry'] | null {
    return this.#metrics?.registry ?? null;
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

  /** The app is warmed up: `starting` → `ready`. No effect once shutdown has begun. */
  ready(): void {
    if (this.state === 'starting') this.#lifecycle.transition('ready', 'ready()');
  }

  // ---------------------------------------------------------------------------------------------- readiness

  /** Registers a readiness check, run on every `/readyz`; while any fails the gate is `unready` (503). */
  addReadinessCheck(name: string, fn: ReadinessCheckFn, options: CheckOptions = {}): this {
    this.#readiness.add(name, fn, options);
    return this;
  }

  /** Runs every readiness check (concurrent callers share one run) and moves between `ready` and `unready`. */
  checkReadiness(): Promise<ReadinessResult[]> {
    return this.#readiness.run();
  }

  // ---------------------------------------------------------------------------------------------- servers

  /**
   * Attaches a `node:http`, `node:https` or `node:http2` server: connection tracking, probes, draining
   * behaviour and graceful stop. Starts the management listener on first use when `managementPort` is set.
   */
  attach(server: AnyServer, options: AttachOptions = {}): this {
    const handleRequests = options.handleRequests ?? true;
    const tracked = new TrackedServer(server, {
      onRequest: handleRequests ? (req, res) => this.handleRequest(req, res) : null,
      onChange: () => this.#checkDrained?.(),
      onUpgrade: () => this.#traffic.record(Date.now()),
    });
    this.#servers.push(tracked);
    if (this.state === 'stopping' || this.state === 'stopped') {
      // A signal came during a slow start-up: this server is no longer wanted.
      this.config.logger.warn({ state: this.state }, 'attach() while stopping: closing the server at once');
      void tracked.stopAccepting();
      return this;
    }
    if (this.config.readyOnListen) {
      if (server.listening) this.ready();
      else server.once('listening', () => this.ready());
    }
    void this.listenManagement();
    return this;
  }

  /**
   * The per-request entry point for every adapter. Answers `/livez`, `/readyz` and (while draining) LB
   * health checks and returns `true`; otherwise tracks the request and returns `false` for the app to serve it.
   * Calling it twice for one request is harmless.
   */
  handleRequest(req: AnyRequest, res: AnyResponse): boolean {
    const r = req as AnyRequest & { [SEEN]?: boolean };
    const seen = r[SEEN];
    if (seen !== undefined) return seen;
    const answered = this.#handle(req, res);
    r[SEEN] = answered;
    return answered;
  }

  #handle(req: AnyRequest, res: AnyResponse): boolean {
    const now = Date.now();
    const state = this.state;
    const draining = this.#lifecycle.shuttingDown;
    const path = pathOf(req.url);
    const lbCheck = this.#isLbHealthCheck(req, path);
    const ua = req.headers['user-agent'] ?? '';
    if (this.#probe(req, res, path, lbCheck, now, draining)) return true;

    // The application serves it.
    const h2 = isHttp2(req);
    if (draining && !h2) (res as http.ServerResponse).setHeader('connection', 'close');
    this.#requestsByPhase[state]++;
    if (!lbCheck && !KUBE_PROBE_UA.test(ua)) this.#traffic.record(now);
    const tracked = res as Tracked;
    if (h2 || lbCheck) {
      // Captured now: the HTTP/2 compat layer drops req.stream and req.socket once the stream has closed.
      tracked[EXTRA] = { session: h2 ? (req.stream.session ?? null) : null, lbSource: lbCheck ? this.#lbSource(req, path) : null };
    }
    this.#active.add(tracked);
    res.on('close', this.#onResponseClose);
    return false;
  }

  #responseClosed(res: Tracked): void {
    if (!this.#active.delete(res)) return;
    const extra = res[EXTRA];
    const shuttingDown = this.#lifecycle.shuttingDown;
    if (extra?.lbSource) this.#lb.record(extra.lbSource, res.statusCode < 400, Date.now(), shuttingDown);
    if (shuttingDown) this.#afterShutdownResponse(extra?.session ?? null);
  }

  /**
   * An LB health check comes from an LB node itself, with the configured User-Agent. A request that went
   * through the LB (X-Forwarded-For, Forwarded, X-Amzn-Trace-Id) is a client's, whatever its User-Agent says.
   */
  #isLbHealthCheck(req: AnyRequest, path: string): boolean {
    const h = req.headers;
    if (!this.config.lbUserAgent.test(h['user-agent'] ?? '')) return false;
    if (h['x-forwarded-for'] !== undefined || h.forwarded !== undefined || h['x-amzn-trace-id'] !== undefined) return false;
    return this.config.lbPaths === null || this.config.lbPaths.includes(path);
  }

  /** One health-check counter per LB node, target port (Host) and path: each target group checks on its own. */
  #lbSource(req: AnyRequest, path: string): string {
    return `${req.socket?.remoteAddress ?? 'unknown'} ${req.headers.host ?? req.headers[':authority'] ?? ''} ${path}`;
  }

  /** Answers `/livez`, `/readyz` and, while draining, LB health checks on any path. */
  #probe(req: AnyRequest, res: AnyResponse, path: string, lbCheck: boolean, now: number, draining: boolean): boolean {
    const paths = this.config.paths;
    const readMethod = req.method === 'GET' || req.method === 'HEAD';
    if (path === paths.livez && readMethod) {
      sendJson(res, 200, { status: 'alive', state: this.state }, draining);
      return true;
    }
    if (path === paths.readyz && readMethod) {
      if (draining) this.#answerNotReady(req, res, lbCheck, now);
      else void this.#answerReadyz(req, res, lbCheck);
      return true;
    }
    if (lbCheck && draining) {
      this.#answerNotReady(req, res, true, now);
      return true;
    }
    return false;
  }

  #answerNotReady(req: AnyRequest, res: AnyResponse, lbCheck: boolean, now: number): void {
    if (lbCheck) {
      this.#lb.record(this.#lbSource(req, pathOf(req.url)), false, now, true);
      this.#evaluate();
    }
    sendJson(res, 503, { status: this.state }, true);
    if (isHttp2(req)) {
      const session = req.stream.session ?? null;
      res.once('close', () => this.#afterShutdownResponse(session));
    }
  }

  async #answerReadyz(req: AnyRequest, res: AnyResponse, lbCheck: boolean): Promise<void> {
    const verbose = (req.url ?? '').includes('?') && new URLSearchParams((req.url ?? '').split('?')[1]).has('verbose');
    const lbSource = lbCheck ? this.#lbSource(req, pathOf(req.url)) : '';
    let checks: ReadinessResult[] = [];
    if (this.state === 'ready' || this.state === 'unready') checks = await this.checkReadiness();
    const state = this.state;
    const ok = state === 'ready';
    const shuttingDown = this.#lifecycle.shuttingDown;
    if (lbCheck) this.#lb.record(lbSource, ok, Date.now(), shuttingDown);
    if (res.writableEnded || res.destroyed) return;
    sendJson(res, ok ? 200 : 503, verbose ? { status: state, checks } : { status: state }, shuttingDown);
  }

  /** While shutting down, make each response the last on its connection (HTTP/2: GOAWAY after it). */
  #afterShutdownResponse(session: Http2Session | null): void {
    if (session) goawayAndClose(session);
    else if (this.state === 'stopping') {
      // A response whose headers went out before stopping still said keep-alive: close the now-idle socket.
      setImmediate(() => {
        for (const s of this.#servers) s.closeIdle();
      });
    }
    this.#checkDrained?.();
  }

  // ---------------------------------------------------------------------------------------------- hooks

  /**
   * Registers a shutdown hook. Hooks run after connections have drained, in reverse order of registration,
   * each bounded by its timeout (default: `hooksTimeout`) and all together by `hooksTimeout`.
   */
  addShutdownHook(name: string, fn: ShutdownHookFn, options: CheckOptions = {}): this {
    if (typeof name !== 'string' || name === '') throw new TypeError('draingate: addShutdownHook(name, fn) needs a non-empty name.');
    if (typeof fn !== 'function') throw new TypeError(`draingate: shutdown hook "${name}" needs a function.`);
    const timeout =
      options.timeout === undefined
        ? this.config.hooksTimeout
        : parseDuration(options.timeout, 'timeout', `shutdown hook "${name}" timeout`);
    if (timeout > this.config.hooksTimeout) {
      throw new DraingateConfigError(
        'hooksTimeout',
        `shutdown hook "${name}" has timeout ${formatDuration(timeout)}, more than hooksTimeout ${formatDuration(this.config.hooksTimeout)}: lower the hook's timeout or raise hooksTimeout (DRAINGATE_HOOKS_TIMEOUT) and the grace period with it.`,
      );
    }
    this.#hooks.push({ name, fn, timeout });
    return this;
  }

  // ---------------------------------------------------------------------------------------------- shutdown

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

  /**
   * Begins shutdown: draining (readiness fails at once; requests still served, with `Connection: close`) until
   * deregistration evidence, then stopping and hooks. Idempotent: every call returns the same promise (and the
   * first trigger wins). The process exits (with `exit: true`) only when a signal or `/prestop` started it.
   */
  shutdown(trigger: ShutdownTrigger = 'shutdown()'): Promise<ShutdownResult> {
    if (!this.#shutdown) this.#shutdown = this.#run(trigger);
    return this.#shutdown;
  }

  /** Resolves when draining has ended (on evidence or `maxDelay`). Starts nothing by itself. */
  get drained(): Promise<DrainEvidence> | null {
    return this.#drainEnded;
  }

  #startDraining(trigger: ShutdownTrigger): void {
    const now = Date.now();
    this.#drainStartedAt = now;
    this.#before = this.#traffic.snapshot(now);
    const q = quietSignificance(this.#before, this.config.quietPeriod, this.config.quietMinRequests);
    this.#drain = {
      trigger,
      startedAt: new Date(now).toISOString(),
      endedAt: null,
      evidence: null,
      quietPeriod: {
        rateBeforeDraining: round(this.#before.rate),
        steadiness: round(this.#before.steadiness),
        expectedInQuietPeriod: round(q.expected),
        significant: q.significant,
      },
    };
    this.#drainEnded = new Promise((resolve) => {
      this.#endDrain = resolve;
    });
    // Same tick as the trigger: from here /readyz answers 503.
    this.#lifecycle.transition('draining', trigger);
    this.#closeAfterInflight();
    this.#emit('draining', { trigger });
    this.#evidenceTimer = setInterval(() => this.#evaluate(), EVIDENCE_TICK_MS);
    if (this.#sidecar) this.#pollSidecar(this.#sidecar);
    this.#evaluate();
  }

  #evaluate(): void {
    if (!this.#endDrain) return;
    const now = Date.now();
    const evidence = evaluateEvidence({
      now,
      drainStartedAt: this.#drainStartedAt,
      minDelay: this.config.minDelay,
      maxDelay: this.config.maxDelay,
      delay: this.config.delay,
      quietPeriod: this.config.quietPeriod,
      quietMinRequests: this.config.quietMinRequests,
      before: this.#before,
      lastRequestAt: this.#traffic.lastRequestAt,
      sidecarDeregistered: this.#sidecar?.deregisteredSince(this.#drainStartedAt) ?? false,
      lbUnhealthy: this.#lb.verdict(now, this.#drainStartedAt, this.#traffic.lastRequestAt),
      lbMargin: this.config.lbMargin,
    });
    if (!evidence) return;
    const end = this.#endDrain;
    this.#endDrain = null;
    if (this.#evidenceTimer) clearInterval(this.#evidenceTimer);
    if (this.#sidecarTimer) clearTimeout(this.#sidecarTimer);
    this.#evidenceTimer = null;
    this.#sidecarTimer = null;
    if (this.#drain) {
      this.#drain.evidence = evidence;
      this.#drain.endedAt = new Date(now).toISOString();
    }
    this.#phaseDurations.draining = now - this.#drainStartedAt;
    const log = evidence.strength === 'none' ? 'warn' : 'info';
    this.config.logger[log](
      { evidence: evidence.kind, strength: evidence.strength, afterMs: evidence.afterMs, detail: evidence.detail },
      `draining ended: ${evidence.kind}`,
    );
    end(evidence);
  }

  #pollSidecar(sidecar: SidecarClient): void {
    if (!this.#endDrain || this.#disposed) return;
    void sidecar.fetch().then(() => {
      this.#evaluate();
      if (this.#endDrain && !this.#disposed)
        this.#sidecarTimer = setTimeout(() => this.#pollSidecar(sidecar), this.config.sidecarPollInterval);
    });
  }

  async #run(trigger: ShutdownTrigger): Promise<ShutdownResult> {
    this.#startDraining(trigger);
    const evidence = await (this.#drainEnded as Promise<DrainEvidence>);

    // Stopping: stop accepting, close idle connections, finish in-flight requests until drainTimeout.
    const stopStart = Date.now();
    const deadline = stopStart + this.config.drainTimeout;
    this.#lifecycle.transition('stopping', `evidence: ${evidence.kind}`);
    this.#emit('stopping', { deadline });
    const closed = Promise.all(this.#servers.map((s) => s.stopAccepting()));
    this.#closeAfterInflight();
    const upgraded: Duplex[] = this.#servers.flatMap((s) => [...s.upgraded]);
    if (upgraded.length > 0) this.#emit('drain', { sockets: upgraded, deadline });
    await this.#waitUntil(() => this.#isIdle(), deadline);
    this.#forced += this.#cutRemaining();
    // Destroyed sockets report 'close' a tick later: wait for them so that the counts read 0 once stopped.
    await this.#waitUntil(() => this.#active.size === 0 && this.connections === 0, Date.now() + 250);
    await withTimeout(closed, 250, 'closing servers').catch((error: Error) =>
      this.config.logger.warn({ error: error.message }, 'servers did not close'),
    );
    this.#phaseDurations.stopping = Date.now() - stopStart;

    // Hooks, in reverse order of registration, within hooksTimeout altogether.
    const hooksStart = Date.now();
    const failedHooks: string[] = [];
    for (const hook of [...this.#hooks].reverse()) {
      const remaining = this.config.hooksTimeout - (Date.now() - hooksStart);
      const limit = Math.min(hook.timeout, remaining);
      try {
        if (limit <= 0) throw new Error('no time left in hooksTimeout');
        await withTimeout(Promise.resolve().then(hook.fn), limit, `shutdown hook "${hook.name}"`);
        this.config.logger.debug({ hook: hook.name }, 'shutdown hook done');
      } catch (error) {
        failedHooks.push(hook.name);
        this.config.logger.error(
          { hook: hook.name, error: (error as Error)?.message ?? String(error) },
          `shutdown hook "${hook.name}" failed`,
        );
      }
    }
    this.#phaseDurations.hooks = Date.now() - hooksStart;

    const exitCode: 0 | 1 = this.#forced > 0 || failedHooks.length > 0 ? 1 : 0;
    const result: ShutdownResult = { exitCode, trigger, evidence, forcedSocketCloses: this.#forced, failedHooks };
    this.#lifecycle.transition('stopped', exitCode === 0 ? 'clean' : this.#forced > 0 ? 'forced socket closes' : 'hook failed');
    this.#emit('stopped', result);
    void this.#management.close();
    this.#signals.remove();
    if (this.config.exit && this.#exitsProcess(trigger)) {
      // Let the log line and the stopped listeners' output flush first.
      setImmediate(() => process.exit(exitCode));
    }
    return result;
  }

  /**
   * Nothing left to wait for: no request in flight, and no connection open. Node closes idle keep-alive
   * connections itself once the server is closing; one that is still open is busy, e.g. with a request whose
   * head is still arriving, which Node will hand to us (and close after, `Connection: close`).
   */
  /** Responses still being prepared will be the last on their connection (HTTP/2 closes its session after them). */
  #closeAfterInflight(): void {
    for (const res of this.#active) {
      if (!res.headersSent && !res[EXTRA]?.session) (res as http.ServerResponse).setHeader('connection', 'close');
    }
  }

  /**
   * Kubernetes ended the pod (a signal, or the preStop endpoint): exit once stopped. A shutdown the app
   * started itself (`gate.shutdown()`, `fastify.close()`) resolves and leaves the process to the caller.
   */
  #exitsProcess(trigger: ShutdownTrigger): boolean {
    return trigger === 'prestop' || (this.config.signals as readonly string[]).includes(trigger);
  }

  #isIdle(): boolean {
    return this.#active.size === 0 && this.connections === 0;
  }

  /** Resolves once `predicate` holds (re-checked whenever a request, connection or session ends) or at `deadline`. */
  #waitUntil(predicate: () => boolean, deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#checkDrained = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.#checkDrained = () => {
        if (predicate()) done();
      };
      this.#checkDrained();
    });
  }

  /** At the deadline: destroys every connection still open; returns how many were busy (cut). */
  #cutRemaining(): number {
    for (const s of this.#servers) s.closeIdle();
    let forced = 0;
    for (const s of this.#servers) forced += s.openSockets();
    if (forced > 0) {
      this.config.logger.warn(
        { sockets: forced, inflight: this.#active.size, drainTimeout: this.config.drainTimeout },
        'drainTimeout reached: cutting connections still busy',
      );
    }
    for (const res of this.#active) (res[EXTRA]?.session ?? (res as http.ServerResponse).req?.socket)?.destroy();
    for (const s of this.#servers) s.destroyAll();
    return forced;
  }

  /**
   * Releases the gate without shutting down: removes signal handlers, stops timers and the management
   * listener. For tests and for apps that create a gate they end up not using.
   */
  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#endDrain = null;
    this.#signals.remove();
    if (this.#evidenceTimer) clearInterval(this.#evidenceTimer);
    if (this.#sidecarTimer) clearTimeout(this.#sidecarTimer);
    await this.#management.dispose();
  }

  /** Starts the management listener (once) when `managementPort` is set; resolves to its address, or `null`. */
  listenManagement(): Promise<AddressInfo | null> {
    return this.#management.listen();
  }

  /** A snapshot of everything `/status` shows. */
  status(): StatusReport {
    const cfg = this.config;
    const upgradedSockets = this.#servers.reduce((n, s) => n + s.upgraded.size, 0);
    return {
      state: this.state,
      since: new Date(this.since).toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      inflight: this.inflight,
      connections: this.connections,
      upgradedSockets,
      requestsByPhase: { ...this.#requestsByPhase },
      readiness: { checks: this.#readiness.last },
      lbHealthChecks: this.#lb.toJSON(),
      sidecar: this.#sidecar ? this.#sidecar.report() : null,
      plan: {
        gracePeriod: formatDuration(cfg.gracePeriod),
        minDelay: formatDuration(cfg.minDelay),
        maxDelay: formatDuration(cfg.maxDelay),
        delay: cfg.delay === null ? null : formatDuration(cfg.delay),
        quietPeriod: formatDuration(cfg.quietPeriod),
        quietMinRequests: cfg.quietMinRequests,
        drainTimeout: formatDuration(cfg.drainTimeout),
        hooksTimeout: formatDuration(cfg.hooksTimeout),
        lbUnhealthyThreshold: cfg.lbUnhealthyThreshold,
        lbMargin: formatDuration(cfg.lbMargin),
      },
      drain: this.#drain ? { ...this.#drain } : null,
      phaseDurationsMs: { ...this.#phaseDurations },
      forcedSocketCloses: this.#forced,
      history: this.#lifecycle.history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })),
    };
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Creates the lifecycle gate. Reads `DRAINGATE_*` from the environment; options win. Throws on invalid config. */
export function createGate(options: GateOptions = {}): Gate {
  return new Gate(options);
}

export { STATES };
