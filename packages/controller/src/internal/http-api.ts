import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeHttp, listenHttp } from '@draingate/sidecar/internal';
import type { Registry } from 'prom-client';
import { allowed, type Cidr } from './cidr.js';
import type { ControllerStatusBody } from './pods.js';

export interface ControllerApiHandlers {
  status(namespace: string, name: string): ControllerStatusBody | null;
  /** `/readyz`: the informers listed once. */
  ready(): boolean;
  onStatus(code: number): void;
}

const STATUS_RE = /^\/v1\/pods\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)\/status$/;

/**
 * The controller's HTTP API, on every replica: `GET /v1/pods/{namespace}/{name}/status` (the sidecar contract's
 * body for that pod plus `controller`: who answered and how fresh it is), `/metrics`, `/livez`, `/readyz`. It answers
 * only sources in the allowed ranges (default: private and loopback ones, where pods live) and no request that came
 * through a proxy or load balancer (`Forwarded` / `X-Forwarded-For`): the pods' drain state is for the pods, not for
 * the internet. GET only.
 */
export class ControllerApi {
  url = '';
  readonly #server: Server;

  constructor(
    private readonly handlers: ControllerApiHandlers,
    private readonly registry: Registry,
    private readonly allow: readonly Cidr[],
  ) {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 65_000;
  }

  async listen(port: number, host: string): Promise<string> {
    // A wildcard address is named by loopback in the URL.
    this.url = await listenHttp(this.#server, port, host, host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
    return this.url;
  }

  close(): Promise<void> {
    return closeHttp(this.#server);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
    };
    if (path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const source = req.socket.remoteAddress;
    if (!allowed(source, this.allow)) {
      json(403, { error: `${source} is outside --allow-cidr / DRAINGATE_ALLOW_CIDRS: the controller answers pods of the cluster only` });
      return;
    }
    if (req.headers.forwarded !== undefined || req.headers['x-forwarded-for'] !== undefined) {
      json(403, {
        error:
          'a request forwarded by a proxy or load balancer (Forwarded / X-Forwarded-For): the controller answers pods of the cluster only',
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(405, { error: 'GET only' });
      return;
    }
    if (path === '/readyz') {
      const ready = this.handlers.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'informers not synced\n');
      return;
    }
    if (path === '/metrics') {
      void this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: unknown) => json(500, { error: String(e) }),
      );
      return;
    }
    const m = STATUS_RE.exec(path);
    if (m) {
      const [ns, name] = [m[1] as string, m[3] as string];
      const body = this.handlers.status(ns, name);
      const code = body ? 200 : this.handlers.ready() ? 404 : 503;
      this.handlers.onStatus(code);
      if (body) json(200, body);
      else if (code === 404) json(404, { error: `no pod ${ns}/${name} declaring the gate is known to this controller` });
      else json(503, { error: 'the pod informer has not listed the pods yet' });
      return;
    }
    json(404, { error: `no route ${path}: try /v1/pods/{namespace}/{name}/status, /metrics, /livez, /readyz` });
  }
}
