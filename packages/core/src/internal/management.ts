import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GateOptions, type ResolvedConfig, sourceOf } from './config.js';
import type { DrainWatch } from './drain-watch.js';
import { DraingateConfigError } from './errors.js';
import type { DrainEvidence } from './evidence.js';
import type { Lifecycle } from './lifecycle.js';
import type { Requests } from './requests.js';
import type { Shutdown } from './shutdown.js';
import type { GateStatus } from './status.js';
import { pathOf, sendJson } from './util.js';

export interface ManagementOptions {
  config: Pick<ResolvedConfig, 'managementPort' | 'managementHost' | 'paths' | 'logger'>;
  /** The options as the app passed them: where `managementPort` / `managementHost` came from, for the error naming it. */
  gateOptions: GateOptions;
  /** `/livez` and `/readyz`, answered as on the traffic port. */
  requests: Pick<Requests, 'answerProbe'>;
  /** `/status` and `/metrics`. */
  status: Pick<GateStatus, 'fresh' | 'metrics'>;
  /** `/prestop`: starts shutdown, and answers once draining has ended, with the state then. */
  shutdown: Pick<Shutdown, 'start'>;
  drainWatch: Pick<DrainWatch, 'drained'>;
  lifecycle: Pick<Lifecycle, 'state'>;
}

/** How long a listener failure waits for somebody to ask for it before it is logged. */
const UNCLAIMED_LOG_MS = 1000;

/**
 * The management listener (`managementPort`): `/livez`, `/readyz`, `/status`, `/metrics` and `/prestop`, which
 * are never served on the traffic port (nobody outside the pod can drain it or read its internals).
 */
export class Management {
  readonly #options: ManagementOptions;
  #server: http.Server | null = null;
  #listening: Promise<AddressInfo | null> | null = null;
  /** `true` once listening, or when there is nothing to listen on (no `managementPort`, disposed). */
  #up = false;
  /** A caller waits for the listener (`listen()`): a failure is theirs to report. */
  #claimed = false;
  #disposed = false;

  constructor(options: ManagementOptions) {
    this.#options = options;
  }

  /** The listener listens, or there is none to wait for: the gate may turn ready without waiting. */
  get up(): boolean {
    return this.#up;
  }

  /**
   * Starts the listener (once) when `managementPort` is set and returns the promise of it, for a caller that waits
   * for it (`ready()`, `listenManagement()`): resolves to its address, or `null`; rejects with a
   * {@link DraingateConfigError} naming the setting when it cannot listen (a port another process holds would
   * answer kubelet's probes and preStop in our place). The caller reports that error: it is not logged.
   */
  listen(): Promise<AddressInfo | null> {
    this.#claimed = true;
    return this.start();
  }

  /**
   * Runs `fn` once the listener listens (at once, in the same tick, when it already does or there is none) and
   * returns the promise of that; rejects as `listen()` does, without running `fn`.
   */
  whenListening(fn: () => void): Promise<void> {
    const listening = this.listen();
    if (this.#up) {
      fn();
      return Promise.resolve();
    }
    return listening.then(fn);
  }

  /**
   * Starts the listener (once) without waiting for it (`attach()`). A failure nobody waited for within a second
   * (no `ready()` or `listenManagement()` call) is logged, so that an app that never asks still says why its pod
   * never turns ready; one somebody waited for is theirs to report, in one line.
   */
  start(): Promise<AddressInfo | null> {
    if (this.#listening !== null) return this.#listening;
    const { config } = this.#options;
    const port = config.managementPort;
    if (port === null || this.#disposed) {
      this.#up = true;
      this.#listening = Promise.resolve(null);
      return this.#listening;
    }
    const server = http.createServer((req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 5000;
    this.#server = server;
    this.#listening = new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        this.#server = null;
        const failure = this.#cannotListen(error);
        reject(failure);
        const logIfUnclaimed = () => {
          if (!this.#claimed) config.logger.error({ setting: failure.setting, code: error.code }, failure.message);
        };
        if (!this.#claimed) setTimeout(logIfUnclaimed, UNCLAIMED_LOG_MS).unref();
      });
      const onListening = () => {
        const address = server.address() as AddressInfo;
        this.#up = true;
        config.logger.info({ port: address.port }, 'management listener ready');
        resolve(address);
      };
      if (config.managementHost) server.listen(port, config.managementHost, onListening);
      else server.listen(port, onListening);
    });
    // start() does not wait for it: the rejection reaches whoever calls listen(), or the log above.
    this.#listening.catch(() => {});
    return this.#listening;
  }

  /** The one-line error for a listener that cannot listen, naming the setting the problem is in, as the user set it. */
  #cannotListen(error: NodeJS.ErrnoException): DraingateConfigError {
    const { config, gateOptions } = this.#options;
    const port = config.managementPort as number;
    const host = config.managementHost;
    const where = `${host === null ? 'port ' : `${host.includes(':') ? `[${host}]` : host}:`}${port}`;
    const code = error.code ?? 'error';
    const [setting, why]: ['managementPort' | 'managementHost', string] =
      code === 'EADDRINUSE'
        ? [
            'managementPort',
            "the port is in use (EADDRINUSE) by another process, which would answer kubelet's probes and preStop instead; choose a free port or stop that process",
          ]
        : code === 'EACCES'
          ? ['managementPort', 'permission denied (EACCES): ports below 1024 need a privilege the process lacks; use a port from 1024 up']
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? ['managementHost', `the host name does not resolve (${code}); use an address of this pod, or unset it for all interfaces`]
            : code === 'EADDRNOTAVAIL'
              ? [
                  'managementHost',
                  'it is not an address of this machine (EADDRNOTAVAIL); use one of the pod, or unset it for all interfaces',
                ]
              : [host === null ? 'managementPort' : 'managementHost', `${code}: ${error.message}`];
    const source = sourceOf(gateOptions, setting);
    const value = setting === 'managementPort' ? String(port) : String(host);
    const subject = source.from === 'env' ? source.name : `option ${source.name}`;
    return new DraingateConfigError(setting, `${subject} (${value}): the management listener cannot listen on ${where}: ${why}.`, [source]);
  }

  /** Closes the listener and its connections. */
  close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Closes the listener; `listen()` then starts none. */
  dispose(): Promise<void> {
    this.#disposed = true;
    this.#up = true;
    return this.close();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const o = this.#options;
    const path = pathOf(req.url);
    const p = o.config.paths;
    if (o.requests.answerProbe(req, res, path)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, false);
      return;
    }
    if (path === p.status) {
      void o.status.fresh().then((report) => sendJson(res, 200, report, false));
      return;
    }
    if (path === p.metrics) {
      const metrics = o.status.metrics;
      if (!metrics) {
        sendJson(res, 404, { error: 'metrics are off: install prom-client (peer dependency) or set metrics: true' }, false);
        return;
      }
      metrics.render().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
          res.end(body);
        },
        (error: Error) => sendJson(res, 500, { error: error.message }, false),
      );
      return;
    }
    if (path === p.prestop) {
      if (req.method !== 'GET') {
        sendJson(res, 405, { error: 'GET only: /prestop drains the pod' }, false);
        return;
      }
      // kubelet's preStop httpGet: drain now, answer once the LB has let go (or maxDelay).
      void o.shutdown.start('prestop');
      const ended = o.drainWatch.drained;
      const reply = (evidence: DrainEvidence | null) => {
        if (!res.destroyed) sendJson(res, 200, { state: o.lifecycle.state, evidence }, false);
      };
      if (ended !== null) void ended.then(reply);
      else reply(null);
      return;
    }
    sendJson(res, 404, { error: 'not found', endpoints: Object.values(p) }, false);
  }
}
