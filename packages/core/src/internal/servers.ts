import http from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { SweptList } from './swept-list.js';

export type AnyRequest = http.IncomingMessage | Http2ServerRequest;
export type AnyResponse = http.ServerResponse | Http2ServerResponse;
/** Any server draingate can attach to: `node:http`, `node:https`, or `node:http2` (compat API). */
export type AnyServer = http.Server | https.Server | import('node:http2').Http2Server | import('node:http2').Http2SecureServer;
export type ServerKind = 'http' | 'https' | 'http2';

export interface TrackedServerHooks {
  /** Called for every `request` event before the app's listeners; return `true` when the gate answered it. */
  onRequest: ((req: AnyRequest, res: AnyResponse) => boolean) | null;
  /** Called when the connection count changes or an upgraded socket / HTTP/2 session closes. */
  onChange: () => void;
  /** Called for every upgrade request an `upgrade` listener will take (it is traffic too). */
  onUpgrade: (req: http.IncomingMessage) => void;
}

function kindOf(server: AnyServer): ServerKind {
  if (server instanceof https.Server) return 'https';
  if (server instanceof http.Server) return 'http';
  const name = (server as object).constructor?.name;
  if (name === 'Http2Server' || name === 'Http2SecureServer') return 'http2';
  throw new TypeError(
    `draingate: attach() takes a node:http, node:https or node:http2 server, got ${name ?? typeof server}. For Express or Fastify use @draingate/express or @draingate/fastify.`,
  );
}

const TRACKED = Symbol.for('draingate.tracked');

const isDestroyed = (socket: Duplex): boolean => socket.destroyed;

/**
 * Runs `fn` before the event's listener, as one listener when it has exactly one (Node's own `connection` listener):
 * an event with two listeners would take EventEmitter's array branch, which slows every emit in the process (see
 * {@link SweptList}). Otherwise `fn` is prepended.
 */
function beforeSoleListener(server: AnyServer, event: string, fn: (socket: never) => void): void {
  const emitter = server as unknown as NodeJS.EventEmitter;
  const existing = emitter.rawListeners(event);
  const sole = existing.length === 1 ? (existing[0] as (this: unknown, socket: unknown) => unknown) : null;
  if (!sole) {
    emitter.prependListener(event, fn as (...args: unknown[]) => void);
    return;
  }
  emitter.removeListener(event, sole);
  emitter.on(event, function draingateThenNode(this: unknown, socket: unknown) {
    fn(socket as never);
    return sole.call(this, socket);
  });
}

/**
 * HTTP/2's `Connection: close`: `session.close()` sends GOAWAY naming the last stream processed (the client
 * opens no new stream here and retries later ones elsewhere: REFUSED_STREAM is retry-safe, RFC 9113 §8.7),
 * then closes once the open streams complete.
 */
export function goawayAndClose(session: Http2Session): void {
  if (!session.closed && !session.destroyed) session.close();
}

/**
 * Tracks one server's connections, upgraded sockets and HTTP/2 sessions, and stops it. It does not count
 * requests (the gate does, for every server kind alike).
 */
export class TrackedServer {
  readonly kind: ServerKind;
  readonly server: AnyServer;
  /** Raw TCP connections (what `open_connections` counts); closed ones are swept out (see {@link SweptList}). */
  readonly raw: SweptList<Socket> = new SweptList<Socket>(isDestroyed);
  /**
   * The sockets HTTP runs on: the raw ones, or the TLS ones on a TLS server. Node's idle-connection handling
   * destroys these objects, so `destroyed` on them tells a closed idle connection from a busy one.
   */
  readonly sockets: SweptList<Duplex> = new SweptList(isDestroyed);
  /** Sockets handed to an `upgrade` listener (WebSocket): no longer HTTP, closed by the app or at the deadline. */
  readonly upgraded: Set<Duplex> = new Set();
  readonly sessions: Set<Http2Session> = new Set();
  readonly #hooks: TrackedServerHooks;
  #closed: Promise<void> | null = null;
  /** Stopping: every connection's close is reported (`onChange`), for the wait for open connections. */
  #watching = false;

  constructor(server: AnyServer, hooks: TrackedServerHooks) {
    this.kind = kindOf(server);
    if ((server as unknown as Record<symbol, unknown>)[TRACKED]) {
      throw new Error('draingate: this server is already attached to a gate; attach each server once.');
    }
    (server as unknown as Record<symbol, unknown>)[TRACKED] = true;
    this.server = server;
    this.#hooks = hooks;
    // No listener per connection until stopping (see SweptList), and no second listener on `connection`: ours runs
    // inside Node's own, as one.
    const tlsServer = server instanceof tls.Server;
    beforeSoleListener(server, 'connection', (socket: Socket) => {
      this.raw.add(socket);
      if (!tlsServer) this.sockets.add(socket);
      if (this.#watching) socket.once('close', hooks.onChange);
      hooks.onChange();
    });
    if (tlsServer) beforeSoleListener(server, 'secureConnection', (socket: Duplex) => this.sockets.add(socket));
    if (this.kind === 'http2') {
      server.on('session', (session: Http2Session) => {
        this.sessions.add(session);
        session.once('close', () => {
          this.sessions.delete(session);
          hooks.onChange();
        });
      });
    }
    // The interceptor costs every request a call frame in front of Node's emit (~300 instructions: its rest
    // arguments and apply are no longer optimised away). An adapter that routes requests itself (Fastify) needs it
    // only for upgrades, so it is installed then: once the server has an `upgrade` listener.
    if (hooks.onRequest !== null || server.listenerCount('upgrade') > 0) this.#interceptEmit();
    else {
      const onNewListener = (event: string | symbol) => {
        if (event !== 'upgrade') return;
        server.removeListener('newListener', onNewListener);
        this.#interceptEmit();
      };
      server.on('newListener', onNewListener);
    }
  }

  /**
   * Sees `request` and `upgrade` events before any listener, including listeners added later (Express and
   * Fastify add theirs after we attach). `request`: the gate answers probes or tracks the request.
   * `upgrade`: the socket is remembered so that stopping can give it a `drain` event and a deadline.
   */
  #interceptEmit(): void {
    const server = this.server as unknown as { emit: (event: string | symbol, ...args: unknown[]) => boolean };
    const originalEmit = server.emit;
    const hooks = this.#hooks;
    const upgraded = this.upgraded;
    // Fixed parameters: no array is built per request event; other events are forwarded with apply(arguments).
    server.emit = function emit(this: http.Server, event: string | symbol, a?: unknown, b?: unknown): boolean {
      // checkContinue / checkExpectation replace `request` when the app listens for them (Expect headers).
      if (event === 'request' || event === 'checkContinue' || event === 'checkExpectation') {
        if (hooks.onRequest?.(a as AnyRequest, b as AnyResponse)) return true;
        // These events carry (req, res): a fixed-arity call (apply(arguments) cost a CallWithArrayLike and a
        // CallVarargs per request, ~350 instructions in callgrind).
        return originalEmit.call(this, event, a, b);
      }
      if (event === 'upgrade' && this.listenerCount('upgrade') > 0) {
        hooks.onUpgrade(a as http.IncomingMessage);
        const socket = b as Duplex;
        upgraded.add(socket);
        socket.once('close', () => {
          upgraded.delete(socket);
          hooks.onChange();
        });
      }
      // biome-ignore lint/complexity/noArguments: forwards every argument without allocating
      return originalEmit.apply(this, arguments as unknown as [string | symbol, ...unknown[]]);
    };
  }

  get connections(): number {
    return this.raw.size;
  }

  /** Runs `fn` once the server listens: at once when it already does, else on its `listening` event. */
  whenListening(fn: () => void): void {
    if (this.server.listening) fn();
    else this.server.once('listening', fn);
  }

  /** HTTP-level sockets still open: after `closeIdle()`, the busy ones (a request in flight or arriving, upgraded). */
  openSockets(): number {
    return this.sockets.size;
  }

  /** Stops accepting connections and closes idle ones. Resolves once every connection has closed. */
  stopAccepting(): Promise<void> {
    if (!this.#closed) {
      this.#watching = true;
      for (const socket of this.raw.live()) socket.once('close', this.#hooks.onChange);
      this.#closed = new Promise((resolve) => {
        if (!this.server.listening) {
          resolve();
          return;
        }
        // On node:http/https (Node >= 19) close() also closes idle keep-alive connections.
        this.server.close(() => resolve());
      });
      this.closeIdle();
      for (const session of this.sessions) goawayAndClose(session);
    }
    return this.#closed;
  }

  /** Closes HTTP/1 connections that have no request in progress (a no-op for HTTP/2 sessions). */
  closeIdle(): void {
    const s = this.server as http.Server;
    if (typeof s.closeIdleConnections === 'function') s.closeIdleConnections();
  }

  /** Destroys everything still open: upgraded sockets, HTTP/2 sessions, HTTP sockets, raw sockets. */
  destroyAll(): void {
    for (const socket of this.upgraded) socket.destroy();
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets.live()) socket.destroy();
    for (const socket of this.raw.live()) socket.destroy();
  }
}

/** Every server attached to one gate, acted on together. */
export class ServerSet {
  readonly #servers: TrackedServer[] = [];

  add(server: TrackedServer): void {
    this.#servers.push(server);
  }

  /** Open client connections on every server. */
  get connections(): number {
    let n = 0;
    for (const s of this.#servers) n += s.connections;
    return n;
  }

  /** Upgraded sockets (WebSocket) still open on every server. */
  upgraded(): Duplex[] {
    return this.#servers.flatMap((s) => [...s.upgraded]);
  }

  get upgradedCount(): number {
    return this.#servers.reduce((n, s) => n + s.upgraded.size, 0);
  }

  /** Every server stops accepting and closes idle connections; resolves once all have closed. */
  stopAccepting(): Promise<unknown> {
    return Promise.all(this.#servers.map((s) => s.stopAccepting()));
  }

  closeIdle(): void {
    for (const s of this.#servers) s.closeIdle();
  }

  /** HTTP-level sockets still open on every server (see `TrackedServer.openSockets`). */
  openSockets(): number {
    let n = 0;
    for (const s of this.#servers) n += s.openSockets();
    return n;
  }

  destroyAll(): void {
    for (const s of this.#servers) s.destroyAll();
  }
}
