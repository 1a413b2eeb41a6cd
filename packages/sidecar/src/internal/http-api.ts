import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { closeHttp, listenHttp } from './http-listen.js';
import type { PrestopResult } from './prestop.js';
import type { SidecarStatusBody } from './status.js';

/** What the API serves for a pod. */
export interface PodEndpoints {
  status(): SidecarStatusBody;
  waitPrestop(): Promise<PrestopResult>;
}

/**
 * The sidecar's localhost HTTP API, one per process: `/v1/status` and `/v1/prestop` of its pod, `/metrics` of the
 * process, `/livez`. GET only (`/v1/prestop` starts draining, so not on HEAD either).
 */
export class HttpApi {
  /** `http://<host>:<port>` once listening. */
  url = '';
  readonly #server: Server;

  constructor(
    private readonly pod: PodEndpoints,
    private readonly registry: Registry,
  ) {
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  async listen(port: number, host: string): Promise<string> {
    this.url = await listenHttp(this.#server, port, host);
    return this.url;
  }

  /** Stops listening and cuts the connections still open. */
  close(): Promise<void> {
    return closeHttp(this.#server);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const json = (code: number, body: unknown): void => {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(405, { error: 'GET only' });
      return;
    }
    switch (path) {
      case '/livez':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/v1/status':
        json(200, this.pod.status());
        return;
      case '/v1/prestop':
        if (req.method !== 'GET') {
          json(405, { error: 'GET only: /v1/prestop starts draining' });
          return;
        }
        void this.pod.waitPrestop().then((r) => json(200, r));
        return;
      case '/metrics':
        void this.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
          (e: unknown) => json(500, { error: String(e) }),
        );
        return;
      default:
        json(404, { error: `no route ${path}: try /v1/status, /v1/prestop, /metrics, /livez` });
    }
  }
}
