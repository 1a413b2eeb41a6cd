// Small helpers the rooms share: a request's path, HTTP/2 detection, JSON answers, promise timeouts, the clock.
import type http from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { formatDuration } from './duration.js';
import type { AnyRequest, AnyResponse } from './servers.js';

/** The path of a request URL, without the query. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Whether the path of `url` (a URL or a path) is `path` (no `?` in it: configured paths cannot have one):
 * `pathOf(url) === path` for a non-empty `url`, without slicing the query off and, for a URL shorter than `path`
 * (most requests, against the probes' paths), without a string comparison call: the hot path matches every request
 * against the probes' paths.
 */
export function isPathOf(url: string, path: string): boolean {
  const n = path.length;
  if (url.length < n) return false;
  if (url.length === n) return url === path;
  return url.charCodeAt(n) === 63 /* ? */ && url.startsWith(path);
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
 * Read once: it does not change, and reading it costs a getter call (as does the global `performance`, an accessor
 * on globalThis: `performance` is imported instead), on the hot path.
 */
const TIME_ORIGIN = performance.timeOrigin;

/**
 * Milliseconds on a clock that only moves forward: for durations and deadlines, never the wall clock (NTP or an
 * operator may move `Date.now()` by an hour while a pod drains). Epoch-based, so it reads like `Date.now()`.
 */
export const monotonicNow = (): number => TIME_ORIGIN + performance.now();
