// Small helpers the rooms share: a request's path, HTTP/2 detection, JSON answers, promise timeouts, the clock.
import type http from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { formatDuration } from './duration.js';
import type { AnyRequest, AnyResponse } from './servers.js';

/** The path of a request URL, without the query. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function isHttp2(req: AnyRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

/** Answers with a JSON body; `close` adds `Connection: close` (HTTP/1 only). */
export function sendJson(res: AnyResponse, status: number, body: unknown, close: boolean): void {
  const payload = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(payload),
  };
  if (close && (res as http.ServerResponse).req?.httpVersionMajor !== 2) headers.connection = 'close';
  (res as http.ServerResponse).writeHead(status, headers);
  (res as http.ServerResponse).end(payload);
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${formatDuration(ms)}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Milliseconds on a clock that only moves forward: for durations and deadlines, never the wall clock (NTP or an
 * operator may move `Date.now()` by an hour while a pod drains). Epoch-based, so it reads like `Date.now()`.
 */
export const monotonicNow = (): number => performance.timeOrigin + performance.now();
