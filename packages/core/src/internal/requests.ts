import type http from 'node:http';
import type { Http2ServerRequest, Http2Session } from 'node:http2';
import type { ResolvedConfig } from './config.js';
import type { LbHealthChecks } from './lb-health-checks.js';
import type { Lifecycle, LifecycleState } from './lifecycle.js';
import { type AnyRequest, type AnyResponse, goawayAndClose, type ServerSet } from './servers.js';
import { SweptList } from './swept-list.js';
import type { PeerTraffic } from './traffic.js';
import type { ReadinessResult } from './types.js';
import { isHttp2, isPathOf, monotonicNow, pathOf, sendJson } from './util.js';

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
/** On an HTTP/1 socket: the last request on it the gate has seen (a connection serves one request at a time). */
const LAST_REQUEST = Symbol('draingate.lastRequest');
/**
 * On an HTTP/1 socket: its peer address, read once per connection. `socket.remoteAddress` is a getter that costs
 * ~550 instructions per read (callgrind, node:http at 1 connection: megamorphic loads in `Socket._getpeername`).
 */
const PEER = Symbol('draingate.peer');
type MarkedSocket = { [LAST_REQUEST]?: AnyRequest; [PEER]?: string | undefined };

const KUBE_PROBE_UA = 'kube-probe/';

const isRead = (req: AnyRequest): boolean => req.method === 'GET' || req.method === 'HEAD';

/** A response that will not be written any more: closed (Node sets `destroyed` with it), or destroyed by the app. */
const finished = (res: AnyResponse): boolean => res.destroyed || (res as http.ServerResponse).closed;

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
 * health checks, counts requests per phase, keeps the responses in flight, and adds `Connection: close` while
 * shutting down. A plain HTTP/1 request allocates nothing here and gets no listener: before shutdown its response
 * goes into a {@link SweptList} (only the count of those in flight is wanted then); once shutdown begins, every
 * response in flight gets the one shared close listener (shutdown waits for them).
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
  /** Responses in flight with a close listener (their `req` is `res.req`): HTTP/2, LB health checks, shutting down. */
  readonly #active: Set<Tracked> = new Set();
  /** Before shutdown, the other responses handed to the app (no listener: only their count is wanted then). */
  readonly #recent: SweptList<Tracked> = new SweptList(finished);
  /** Shutdown has begun and every response in flight has the close listener. */
  #listeningToAll = false;
  /** Requests the gate answered itself (probes), for a second `handleRequest` of the same request: rare. */
  readonly #answered: WeakSet<AnyRequest> = new WeakSet();
  /** HTTP/2 requests seen, and whether the gate answered them (an HTTP/2 request allocates anyway). */
  readonly #seenHttp2: WeakMap<AnyRequest, boolean> = new WeakMap();
  readonly #onResponseClose: (this: Tracked) => void;
  /** Whether `lbUserAgent` matches a request without User-Agent (it does not, unless configured so). */
  readonly #lbMatchesNoUa: boolean;
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
    this.#lbMatchesNoUa = new RegExp(options.config.lbUserAgent.source, options.config.lbUserAgent.flags.replace(/[gy]/g, '')).test('');
    const requests = this;
    // One listener function for every response: `this` is the response that closed.
    this.#onResponseClose = function onResponseClose(this: Tracked) {
      requests.#responseClosed(this);
    };
  }

  /** Requests being served now. */
  get inflight(): number {
    return this.#recent.size + this.#active.size;
  }

  /**
   * Answers `/livez`, `/readyz` and (while draining) LB health checks and returns `true`; otherwise tracks the
   * request and returns `false` for the app to serve it. Calling it twice for one request is harmless: an HTTP/1
   * connection serves one request at a time, so its socket remembers the last one seen (a field written per
   * request, not a new property on every request object).
   */
  handleRequest(req: AnyRequest, res: AnyResponse): boolean {
    if (isHttp2(req)) {
      const seen = this.#seenHttp2.get(req);
      if (seen !== undefined) return seen;
      const answered = this.#handle(req, res, true, req.socket?.remoteAddress);
      this.#seenHttp2.set(req, answered);
      return answered;
    }
    const socket = req.socket as (typeof req.socket & MarkedSocket) | null;
    let peer: string | undefined;
    if (socket) {
      const last = socket[LAST_REQUEST];
      if (last === req) return this.#answered.has(req);
      // The connection's first request: its peer, for every request on it.
      if (last === undefined) socket[PEER] = socket.remoteAddress;
      socket[LAST_REQUEST] = req;
      peer = socket[PEER];
    }
    const answered = this.#handle(req, res, false, peer);
    if (answered) this.#answered.add(req);
    return answered;
  }

  /** `peer`: the connection's peer address (behind an ALB/NLB in ip mode, the LB node). */
  #handle(req: AnyRequest, res: AnyResponse, h2: boolean, peer: string | undefined): boolean {
    const now = monotonicNow();
    const state = this.#lifecycle.state;
    const draining = this.#lifecycle.shuttingDown;
    // The URL, query included: the probes' paths are matched on it without slicing the query off (isPathOf).
    const url = req.url || '/';
    const ua = req.headers['user-agent'];
    // Most requests carry no LB or kube-probe User-Agent: the regex runs only when there is one.
    const lbCheck = (ua !== undefined || this.#lbMatchesNoUa) && this.#isLbHealthCheck(req, ua ?? '', url);
    if (this.#probe(req, res, url, lbCheck, now, draining)) return true;

    // The application serves it.
    if (draining && !h2) (res as http.ServerResponse).setHeader('connection', 'close');
    // A named store in the common case (a keyed one by a variable state name costs a polymorphic lookup).
    if (state === 'ready') this.byPhase.ready++;
    else this.byPhase[state]++;
    // Per peer: behind an ALB/NLB in ip mode the connection's peer is the LB node (forwarded headers are the client's).
    if (!lbCheck && (ua === undefined || !ua.startsWith(KUBE_PROBE_UA))) this.#traffic.record(now, peer);
    const tracked = res as Tracked;
    if (h2 || lbCheck) {
      // Captured now: the HTTP/2 compat layer drops req.stream and req.socket once the stream has closed.
      tracked[EXTRA] = {
        session: h2 ? ((req as Http2ServerRequest).stream.session ?? null) : null,
        lbSource: lbCheck ? this.#lbSource(req, pathOf(url)) : null,
      };
      this.#listen(tracked);
    } else if (draining) {
      if (!this.#listeningToAll) this.#listenToAll();
      this.#listen(tracked);
    } else this.#recent.add(tracked);
    return false;
  }

  #listen(res: Tracked): void {
    this.#active.add(res);
    res.on('close', this.#onResponseClose);
  }

  /** Shutdown has begun: every response still in flight gets the close listener (shutdown waits for them). */
  #listenToAll(): void {
    this.#listeningToAll = true;
    for (const res of this.#recent.take()) this.#listen(res);
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
  #isLbHealthCheck(req: AnyRequest, ua: string, url: string): boolean {
    const h = req.headers;
    if (!this.#config.lbUserAgent.test(ua)) return false;
    if (h['x-forwarded-for'] !== undefined || h.forwarded !== undefined || h['x-amzn-trace-id'] !== undefined) return false;
    return this.#config.lbPaths === null || this.#config.lbPaths.includes(pathOf(url));
  }

  /** One health-check counter per LB node, target port (Host) and path: each target group checks on its own. */
  #lbSource(req: AnyRequest, path: string): string {
    return `${req.socket?.remoteAddress ?? 'unknown'} ${req.headers.host ?? req.headers[':authority'] ?? ''} ${path}`;
  }

  /** Answers `/livez` and `/readyz` as on the traffic port (for the management listener); `true` when it did. */
  answerProbe(req: AnyRequest, res: AnyResponse, path: string): boolean {
    return this.#probe(req, res, path, false, monotonicNow(), this.#lifecycle.shuttingDown);
  }

  /** Answers `/livez`, `/readyz` and, while draining, LB health checks on any path. `url`: a URL or a path. */
  #probe(req: AnyRequest, res: AnyResponse, url: string, lbCheck: boolean, now: number, draining: boolean): boolean {
    const paths = this.#config.paths;
    // Paths first: most requests are neither probe.
    if (isPathOf(url, paths.livez) && isRead(req)) {
      sendJson(res, 200, { status: 'alive', state: this.#lifecycle.state }, draining);
      return true;
    }
    if (isPathOf(url, paths.readyz) && isRead(req)) {
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
    this.#listenToAll();
    for (const res of this.#active) {
      if (!res.headersSent && !res[EXTRA]?.session) (res as http.ServerResponse).setHeader('connection', 'close');
    }
  }

  /** At the drain deadline: destroys the socket (HTTP/1) or session (HTTP/2) of every response still in flight. */
  destroyInflight(): void {
    this.#listenToAll();
    for (const res of this.#active) (res[EXTRA]?.session ?? (res as http.ServerResponse).req?.socket)?.destroy();
  }
}
