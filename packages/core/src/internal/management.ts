import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedConfig } from './config.js';
import type { DrainEvidence } from './evidence.js';
import type { LifecycleState } from './lifecycle.js';
import type { GateMetrics } from './metrics.js';
import type { AnyRequest, AnyResponse } from './servers.js';
import type { StatusReport } from './types.js';
import { pathOf, sendJson } from './util.js';

export interface ManagementOptions {
  config: Pick<ResolvedConfig, 'managementPort' | 'managementHost' | 'paths' | 'logger'>;
  metrics: GateMetrics | null;
  /** Answers `/livez` and `/readyz` as the traffic port does; `true` when it did. */
  probe: (req: AnyRequest, res: AnyResponse, path: string) => boolean;
  /** The body of `/status`, with the sidecar's answer refreshed first when it is stale. */
  status: () => Promise<StatusReport>;
  /** `/prestop`: starts draining; returns the promise of its end (`null` if there is none to wait for). */
  prestop: () => Promise<DrainEvidence> | null;
  state: () => LifecycleState;
}

/**
 * The management listener (`managementPort`): `/livez`, `/readyz`, `/status`, `/metrics` and `/prestop`, which
 * are never served on the traffic port (nobody outside the pod can drain it or read its internals).
 */
export class Management {
  readonly #options: ManagementOptions;
  #server: http.Server | null = null;
  #listening: Promise<AddressInfo | null> | null = null;
  #disposed = false;

  constructor(options: ManagementOptions) {
    this.#options = options;
  }

  /** Starts the listener (once) when `managementPort` is set; resolves to its address, or `null`. */
  listen(): Promise<AddressInfo | null> {
    if (this.#listening !== null) return this.#listening;
    const { config } = this.#options;
    const port = config.managementPort;
    if (port === null || this.#disposed) {
      this.#listening = Promise.resolve(null);
      return this.#listening;
    }
    const server = http.createServer((req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 5000;
    this.#server = server;
    this.#listening = new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        config.logger.error({ port, error: error.message }, 'management listener failed');
        reject(
          new Error(
            `draingate: the management listener could not listen on port ${port} (managementPort / DRAINGATE_MANAGEMENT_PORT): ${error.message}`,
          ),
        );
      });
      const onListening = () => {
        const address = server.address() as AddressInfo;
        config.logger.info({ port: address.port }, 'management listener ready');
        resolve(address);
      };
      if (config.managementHost) server.listen(port, config.managementHost, onListening);
      else server.listen(port, onListening);
    });
    // A failed management listener is logged above; callers that await listenManagement() see the error.
    this.#listening.catch(() => {});
    return this.#listening;
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
    return this.close();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const o = this.#options;
    const path = pathOf(req.url);
    const p = o.config.paths;
    if (o.probe(req, res, path)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' }, false);
      return;
    }
    if (path === p.status) {
      void o.status().then((report) => sendJson(res, 200, report, false));
      return;
    }
    if (path === p.metrics) {
      if (!o.metrics) {
        sendJson(res, 404, { error: 'metrics are off: install prom-client (peer dependency) or set metrics: true' }, false);
        return;
      }
      o.metrics.render().then(
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
      const ended = o.prestop();
      const reply = (evidence: DrainEvidence | null) => {
        if (!res.destroyed) sendJson(res, 200, { state: o.state(), evidence }, false);
      };
      if (ended !== null) void ended.then(reply);
      else reply(null);
      return;
    }
    sendJson(res, 404, { error: 'not found', endpoints: Object.values(p) }, false);
  }
}
