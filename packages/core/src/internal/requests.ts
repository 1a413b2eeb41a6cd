import type http from 'node:http';
import type { Http2Session } from 'node:http2';
import type { ResolvedConfig } from './config.js';
import type { LbHealthChecks } from './lb-health-checks.js';
import type { Lifecycle, LifecycleState } from './lifecycle.js';
import { type AnyRequest, type AnyResponse, goawayAndClose, type ServerSet } from './servers.js';
import type { PeerTraffic } from './traffic.js';
import type { ReadinessResult } from './types.js';
import { isHttp2, monotonicNow, pathOf, sendJson } from './util.js';

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

export interface RequestsOptions {
  config: Pick<ResolvedConfig, 'paths' | 'lbUserAgent' | 'lbPaths'>;
  lifecycle: Lifecycle;
  /** Application traffic (not probes, not LB health checks) is recorded here. */
  traffic: PeerTraffic;
  /** LB health checks and their answers are recorded here. */
  lb: LbHealthChecks;
  servers: Pick<ServerSet, 'closeIdle'>;
  /** Runs the readiness checks for `/readyz`. */
  checkReadiness: () => Promise<ReadinessResult[]>;
  /** An LB health check got a 503 while draining: the drain evidence may now suffice. */
  onLbCheckFailed: () => void;
  /** A response ended (or a connection may have gone idle) while shutting down. */
  onSettled: () => void;
}

/**
 * The per-request hot path: answers `/livez`, `/readyz` and (while draining) LB health checks, recognises LB
 * health checks, counts requests per phase, keeps the set of responses in flight, and adds `Connection: close`
 * while shutting down. A plain HTTP/1 request allocates nothing here: one close listener serves every response.
 */
export class Requests {
  readonly #config: RequestsOptions['config'];
  readonly #lifecycle: Lifecycle;
  readonly #traffic: PeerTraffic;
  readonly #lb: LbHealthChecks;
  readonly #servers: Pick<ServerSet, 'closeIdle'>;
  readonly #checkReadiness: () => Promise<ReadinessResult[]>;
  readonly #onLbCheckFailed: () => void;
  readonly #onSettled: () => void;
  /** Responses in flight (their `req` is `res.req`). */
  readonly #active: Set<Tracked> = new Set();
  readonly #onResponseClose: (this: Tracked) => void;
  /** Requests handed to the application, by the state they arrived in. */
  readonly byPhase: Record<LifecycleState, number> = { starting: 0, ready: 0, unready: 0, draining: 0, stopping: 0, stopped: 0 };

  constructor(options: RequestsOptions) {
    this.#config = options.config;
    this.#lifecycle = options.lifecycle;
    this.#traffic = options.traffic;
    this.#lb = options.lb;
    this.#servers = options.servers;
    this.#checkReadiness = options.checkReadiness;
    this.#onLbCheckFailed = options.onLbCheckFailed;
    this.#onSettled = options.onSettled;
    const requests = this;
    // One listener function for every response: `this` is the response that closed.
    this.#onResponseClose = function onResponseClose(this: Tracked) {
      requests.#responseClosed(this);
    };
  }

  /** Requests being served now. */
  get inflight(): number {
    return this.#active.size;
  }

  /**
   * Answers `/livez`, `/readyz` and (while draining) LB health checks and returns `true`; otherwise tracks the
   * request and returns `false` for the app to serve it. Calling it twice for one request is harmless.
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
    const now = monotonicNow();
    const state = this.#lifecycle.state;
    const draining = this.#lifecycle.shuttingDown;
    const path = pathOf(req.url);
    const lbCheck = this.#isLbHealthCheck(req, path);
    const ua = req.headers['user-agent'] ?? '';
    if (this.#probe(req, res, path, lbCheck, now, draining)) return true;

    // The application serves it.
    const h2 = isHttp2(req);
    if (draining && !h2) (res as http.ServerResponse).setHeader('connection', 'close');
    this.byPhase[state]++;
    // Per peer: behind an ALB/NLB in ip mode the connection's peer is the LB node (forwarded headers are the client's).
    if (!lbCheck && !KUBE_PROBE_UA.test(ua)) this.#traffic.record(now, req.socket?.remoteAddress);
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
    if (extra?.lbSource) this.#lb.record(extra.lbSource, res.statusCode < 400, monotonicNow(), shuttingDown);
    if (shuttingDown) this.#afterShutdownResponse(extra?.session ?? null);
  }

  /**
   * An LB health check comes from an LB node itself, with the configured User-Agent. A request that went
   * through the LB (X-Forwarded-For, Forwarded, X-Amzn-Trace-Id) is a client's, whatever its User-Agent says.
   */
  #isLbHealthCheck(req: AnyRequest, path: string): boolean {
    const h = req.headers;
    if (!this.#config.lbUserAgent.test(h['user-agent'] ?? '')) return false;
    if (h['x-forwarded-for'] !== undefined || h.forwarded !== undefined || h['x-amzn-trace-id'] !== undefined) return false;
    return this.#config.lbPaths === null || this.#config.lbPaths.includes(path);
  }

  /** One health-check counter per LB node, target port (Host) and path: each target group checks on its own. */
  #lbSource(req: AnyRequest, path: string): string {
    return `${req.socket?.remoteAddress ?? 'unknown'} ${req.headers.host ?? req.headers[':authority'] ?? ''} ${path}`;
  }

  /** Answers `/livez` and `/readyz` as on the traffic port (for the management listener); `true` when it did. */
  answerProbe(req: AnyRequest, res: AnyResponse, path: string): boolean {
    return this.#probe(req, res, path, false, monotonicNow(), this.#lifecycle.shuttingDown);
  }

  /** Answers `/livez`, `/readyz` and, while draining, LB health checks on any path. */
  #probe(req: AnyRequest, res: AnyResponse, path: string, lbCheck: boolean, now: number, draining: boolean): boolean {
    const paths = this.#config.paths;
    const readMethod = req.method === 'GET' || req.method === 'HEAD';
    if (path === paths.livez && readMethod) {
      sendJson(res, 200, { status: 'alive', state: this.#lifecycle.state }, draining);
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
      this.#onLbCheckFailed();
    }
    sendJson(res, 503, { status: this.#lifecycle.state }, true);
    if (isHttp2(req)) {
      const session = req.stream.session ?? null;
      res.once('close', () => this.#afterShutdownResponse(session));
    }
  }

  async #answerReadyz(req: AnyRequest, res: AnyResponse, lbCheck: boolean): Promise<void> {
    const verbose = (req.url ?? '').includes('?') && new URLSearchParams((req.url ?? '').split('?')[1]).has('verbose');
    const lbSource = lbCheck ? this.#lbSource(req, pathOf(req.url)) : '';
    let checks: ReadinessResult[] = [];
    if (this.#lifecycle.state === 'ready' || this.#lifecycle.state === 'unready') checks = await this.#checkReadiness();
    const state = this.#lifecycle.state;
    const ok = state === 'ready';
    const shuttingDown = this.#lifecycle.shuttingDown;
    if (lbCheck) this.#lb.record(lbSource, ok, monotonicNow(), shuttingDown);
    if (res.writableEnded || res.destroyed) return;
    sendJson(res, ok ? 200 : 503, verbose ? { status: state, checks } : { status: state }, shuttingDown);
  }

  /** While shutting down, make each response the last on its connection (HTTP/2: GOAWAY after it). */
  #afterShutdownResponse(session: Http2Session | null): void {
    if (session) goawayAndClose(session);
    else if (this.#lifecycle.state === 'stopping') {
      // A response whose headers went out before stopping still said keep-alive: close the now-idle socket.
      setImmediate(() => this.#servers.closeIdle());
    }
    this.#onSettled();
  }

  /** Responses still being prepared will be the last on their connection (HTTP/2 closes its session after them). */
  closeAfterInflight(): void {
    for (const res of this.#active) {
      if (!res.headersSent && !res[EXTRA]?.session) (res as http.ServerResponse).setHeader('connection', 'close');
    }
  }

  /** At the drain deadline: destroys the socket (HTTP/1) or session (HTTP/2) of every response still in flight. */
  destroyInflight(): void {
    for (const res of this.#active) (res[EXTRA]?.session ?? (res as http.ServerResponse).req?.socket)?.destroy();
  }
}
