/**
 * An HTTPS proxy in front of the real kube-apiserver that forwards every request (watches stream through) unless a
 * fault rule answers it instead: a 500, a 429 with Retry-After, a 403, or a body that echoes the caller's token,
 * as a misbehaving API server or an aggregated API would. It serves a throwaway certificate for 127.0.0.1 (`caPem`).
 */

import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { testTls } from '@draingate/testkit/http';

export interface FaultAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Decides per request: an answer to send instead of forwarding, or `null` to forward. */
export type FaultRule = (req: { method: string; path: string; authorization: string }) => FaultAnswer | null;

export interface SeenRequest {
  at: number;
  method: string;
  path: string;
  /** The status sent back, or `forwarded`. */
  answered: number | 'forwarded';
}

export class FaultProxy {
  url = '';
  readonly caPem: string;
  readonly seen: SeenRequest[] = [];
  rule: FaultRule | null = null;
  readonly #server: Server;
  /** Forwarded exchanges still open (watches): {@link cutStreams} ends them. */
  readonly #open = new Set<ServerResponse>();
  readonly #upstream: URL;
  readonly #upstreamCa: Buffer;

  constructor(upstream: { url: string; caData: string }) {
    const tls = testTls();
    this.caPem = tls.cert;
    this.#upstream = new URL(upstream.url);
    this.#upstreamCa = Buffer.from(upstream.caData, 'base64');
    this.#server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => this.#handle(req, res));
  }

  async start(): Promise<this> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Requests answered with `status` (or forwarded) since `since` (epoch ms). */
  count(since: number, answered?: number | 'forwarded'): number {
    return this.seen.filter((s) => s.at >= since && (answered === undefined || s.answered === answered)).length;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const entry: SeenRequest = { at: Date.now(), method: req.method ?? 'GET', path: req.url ?? '/', answered: 'forwarded' };
    this.seen.push(entry);
    const fault = this.rule?.({ method: entry.method, path: entry.path, authorization: String(req.headers.authorization ?? '') });
    if (fault) {
      entry.answered = fault.status;
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(fault.body);
      return;
    }
    const up = request(
      {
        host: this.#upstream.hostname,
        port: this.#upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: this.#upstream.host },
        ca: this.#upstreamCa,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    this.#open.add(res);
    up.on('error', () => res.destroy());
    res.on('close', () => {
      this.#open.delete(res);
      up.destroy();
    });
    req.pipe(up);
  }

  /** Ends every forwarded exchange still open (a watch): the client reconnects, and meets the rule. */
  cutStreams(): void {
    for (const res of this.#open) res.destroy();
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

/** A Kubernetes `Status` body. */
export function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
}
