import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { Socket } from 'node:net';
import { testTls } from './tls.js';

export type Protocol = 'http1' | 'https' | 'h2';

export interface Resp {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** HTTP/1: the response said `Connection: close`. HTTP/2: the server sent GOAWAY on this session. */
  connectionClose: boolean;
  /** The request went over a connection that had carried an earlier request. */
  reused: boolean;
}

/** One client connection (HTTP/1 keep-alive socket or HTTP/2 session) that requests go over in turn. */
export interface Conn {
  request(path: string, headers?: Record<string, string>, timeoutMs?: number): Promise<Resp>;
  /** `true` once the server (or we) closed the connection. */
  readonly closed: boolean;
  /** Resolves when the connection closes. */
  readonly closedPromise: Promise<void>;
  /** Requests sent over the current connection. */
  readonly requests: number;
  close(): void;
}

const LOOPBACK = '127.0.0.1';

class Http1Conn implements Conn {
  readonly #agent: http.Agent;
  readonly #port: number;
  readonly #tls: boolean;
  #socket: Socket | null = null;
  #closed = false;
  #count = 0;
  #resolveClosed!: () => void;
  readonly closedPromise: Promise<void> = new Promise((r) => {
    this.#resolveClosed = r;
  });

  constructor(port: number, tls: boolean) {
    this.#port = port;
    this.#tls = tls;
    const opts = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1, keepAliveMsecs: 60_000 };
    this.#agent = tls ? new https.Agent({ ...opts, ca: testTls().cert }) : new http.Agent(opts);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get requests(): number {
    return this.#count;
  }

  request(path: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Resp> {
    const mod = this.#tls ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request({ host: LOOPBACK, port: this.#port, path, agent: this.#agent, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            connectionClose: String(res.headers.connection ?? '').toLowerCase() === 'close',
            reused: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      });
      req.on('socket', (socket: Socket) => {
        if (this.#socket !== socket) {
          this.#socket = socket;
          this.#closed = false;
          this.#count = 0;
          socket.once('close', () => {
            if (this.#socket === socket) {
              this.#closed = true;
              this.#resolveClosed();
            }
          });
        }
        this.#count++;
      });
      req.on('timeout', () => req.destroy(new Error(`request ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

class H2Conn implements Conn {
  readonly #session: http2.ClientHttp2Session;
  #goaway = false;
  #closed = false;
  #count = 0;
  readonly closedPromise: Promise<void>;

  constructor(port: number) {
    this.#session = http2.connect(`https://${LOOPBACK}:${port}`, { ca: testTls().cert });
    this.#session.on('goaway', () => {
      this.#goaway = true;
    });
    this.#session.on('error', () => {});
    this.closedPromise = new Promise((r) =>
      this.#session.once('close', () => {
        this.#closed = true;
        r();
      }),
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  get requests(): number {
    return this.#count;
  }

  request(path: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Resp> {
    const reused = this.#count > 0;
    this.#count++;
    return new Promise((resolve, reject) => {
      const stream = this.#session.request({ ':path': path, ...headers });
      const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), timeoutMs);
      let status = 0;
      let resHeaders: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status']);
        resHeaders = h as Record<string, string | string[] | undefined>;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        clearTimeout(timer);
        // GOAWAY is sent right after the response; give it a moment to arrive.
        setTimeout(
          () =>
            resolve({ status, headers: resHeaders, body: Buffer.concat(chunks).toString('utf8'), connectionClose: this.#goaway, reused }),
          30,
        );
      });
      stream.on('close', () => {
        clearTimeout(timer);
        if (status === 0) reject(new Error(`stream ${path} closed without a response (code ${stream.rstCode})`));
      });
      stream.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      stream.end();
    });
  }

  close(): void {
    this.#session.destroy();
  }
}

export function connect(protocol: Protocol, port: number): Conn {
  return protocol === 'h2' ? new H2Conn(port) : new Http1Conn(port, protocol === 'https');
}

/** One request on a fresh connection, which is then closed. */
export async function fetchOnce(protocol: Protocol, port: number, path: string, headers: Record<string, string> = {}): Promise<Resp> {
  const c = connect(protocol, port);
  try {
    return await c.request(path, headers);
  } finally {
    c.close();
  }
}

/** Plain HTTP/1 GET on a fresh connection (management port, sidecar stubs). */
export function get(port: number, path: string, timeoutMs = 10_000): Promise<{ status: number; body: string; json: () => unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: LOOPBACK, port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns truthy, every 20 ms, at most `timeoutMs`. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}
