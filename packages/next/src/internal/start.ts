import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createGate, type Gate, type GateOptions } from '@draingate/core';
import { isGate } from '@draingate/core/internal';
import { loadNext, type NextApp, standaloneConfig } from './load.js';

export type { NextApp } from './load.js';

/** Options of {@link startNext}. */
export interface DraingateNextOptions {
  /** The Next.js app's directory (where `.next` is), or a standalone build's (where its `server.js` is). Default: the working directory. */
  dir?: string;
  /** The port to listen on. Default: `PORT` from the environment, else 3000 (as `next start`). 0: any free port. */
  port?: number;
  /** The address to listen on. Default: every interface (`HOSTNAME` is not read: in a pod it is the pod's name). */
  hostname?: string;
  /** `next({ dev: true })`: the development server. Default `false` (a production build; `NODE_ENV` defaults to `production`). */
  dev?: boolean;
  /** More options for `next()`, e.g. `{ turbopack: true }` or `{ quiet: true }`. `dir`, `dev`, `port`, `hostname`, `httpServer` are set from the above. */
  next?: Record<string, unknown>;
  /** `server.keepAliveTimeout` in ms. Default 65000: above the ALB's idle timeout (60 s), so that the LB closes idle connections, not the app. */
  keepAliveTimeout?: number;
  /** Options for the gate that is created (`DRAINGATE_*` from the environment; options win). Not with `gate`. */
  draingate?: GateOptions;
  /** A gate created elsewhere (`createGate()`), instead of a new one. Not with `draingate`. */
  gate?: Gate;
  /** Call `gate.ready()` once the server listens (`/readyz` turns 200). Default `true`; `false`: call it yourself after your own warm-up. */
  ready?: boolean;
}

/** What {@link startNext} resolves to: the app listens, the gate is attached to its server. */
export interface DraingateNext {
  /** The lifecycle gate: `addReadinessCheck()`, `addShutdownHook()`, `shutdown()`, `status()`, events. */
  gate: Gate;
  /** The `node:http` server running the Next.js request handler. */
  server: http.Server;
  /** Next's custom server (`next({ ... })`), prepared. Its `close()` runs as a shutdown hook. */
  app: NextApp;
  /** The port the server listens on. */
  port: number;
}

const KNOWN = ['dir', 'port', 'hostname', 'dev', 'next', 'keepAliveTimeout', 'draingate', 'gate', 'ready'];
const SET_BY_US = ['dir', 'dev', 'port', 'hostname', 'httpServer', 'customServer'];

function fail(message: string): never {
  throw new TypeError(`@draingate/next: ${message}`);
}

function portOf(options: DraingateNextOptions): number {
  const fromEnv = options.port === undefined;
  const raw: unknown = fromEnv ? (process.env.PORT ?? '3000') : options.port;
  const port = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`${fromEnv ? 'PORT' : 'option port'} (${JSON.stringify(raw)}) must be an integer from 0 to 65535.`);
  }
  return port;
}

function checkOptions(options: DraingateNextOptions): void {
  if (options === null || typeof options !== 'object') fail(`startNext() takes an options object, got ${String(options)}.`);
  const unknown = Object.keys(options).filter((k) => !KNOWN.includes(k));
  if (unknown.length > 0)
    fail(`unknown option ${unknown.join(', ')}; known: ${KNOWN.join(', ')}. Gate options go in { draingate: { ... } }.`);
  if (options.gate !== undefined && options.draingate !== undefined) {
    fail('pass either { draingate: gate options } or { gate }, not both: a gate is configured when it is created.');
  }
  if (options.gate !== undefined && !isGate(options.gate)) {
    fail('option gate must be a gate made by createGate() from @draingate/core (the copy @draingate/next depends on).');
  }
  const taken = Object.keys(options.next ?? {}).filter((k) => SET_BY_US.includes(k));
  if (taken.length > 0)
    fail(`option next sets ${taken.join(', ')}, which startNext() sets itself: use the top-level options dir, dev, port, hostname.`);
  const keepAlive = options.keepAliveTimeout;
  if (keepAlive !== undefined && (typeof keepAlive !== 'number' || !Number.isInteger(keepAlive) || keepAlive < 0)) {
    fail(`option keepAliveTimeout (${JSON.stringify(keepAlive)}) must be a whole number of milliseconds.`);
  }
}

/**
 * Runs a Next.js app as a custom server on a `node:http` server attached to a draingate gate: `/livez` and
 * `/readyz` answered before Next sees the request, draining on SIGTERM, graceful stop, then Next's own cleanup
 * (`app.close()`: the `after()` callbacks of the requests served) as the first shutdown hook. Sets
 * `NEXT_MANUAL_SIG_HANDLE` (Next then leaves the signals to the gate). Rejects with a `DraingateConfigError`
 * on invalid `DRAINGATE_*` settings or a management port that cannot listen.
 *
 * ```js
 * const { gate } = await startNext({ dir: import.meta.dirname });
 * ```
 */
export async function startNext(options: DraingateNextOptions = {}): Promise<DraingateNext> {
  checkOptions(options);
  const dir = resolve(options.dir ?? process.cwd());
  const port = portOf(options);
  const dev = options.dev ?? false;
  // Next's own server (next start, a standalone server.js) exits on SIGTERM unless this is set.
  process.env.NEXT_MANUAL_SIG_HANDLE ??= 'true';
  if (!dev) process.env.NODE_ENV ??= 'production';
  // The gate first: invalid DRAINGATE_* settings fail before Next (seconds of loading) is touched.
  const gate = options.gate ?? createGate(options.draingate);
  let createNext: ReturnType<typeof loadNext>;
  try {
    const standalone = standaloneConfig(dir);
    if (standalone !== null) process.env.__NEXT_PRIVATE_STANDALONE_CONFIG ??= standalone;
    createNext = loadNext(dir);
  } catch (error) {
    if (!options.gate) await gate.dispose();
    throw error;
  }
  const logger = gate.config.logger;

  let handle: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | null = null;
  const server = http.createServer((req, res) => {
    (handle as NonNullable<typeof handle>)(req, res).catch((error: unknown) => {
      logger.error({ error: (error as Error)?.message ?? String(error), url: req.url }, 'the Next.js request handler failed');
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = options.keepAliveTimeout ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 1000;

  const app = createNext({ ...options.next, dir, dev, port, hostname: options.hostname ?? 'localhost', httpServer: server });
  const signalListeners = process.listenerCount('SIGTERM');
  try {
    await app.prepare();
  } catch (error) {
    if (!options.gate) await gate.dispose();
    throw error;
  }
  if (process.listenerCount('SIGTERM') > signalListeners) {
    logger.warn(
      { listeners: process.listenerCount('SIGTERM') },
      'a SIGTERM listener was added while Next.js started (instrumentation.ts?): it runs beside draingate, and if it exits the process, draining is cut short',
    );
  }
  handle = app.getRequestHandler();
  // Next's cleanup awaits the after() callbacks of every request served: it can only start once the last request
  // is done (Next refuses after() once it has), so it is a shutdown hook. Added when stopping begins, it is the
  // last registered and so the first to run: pools your own hooks close are still open for those callbacks.
  gate.once('stopping', () => {
    try {
      gate.addShutdownHook('next: app.close()', () => app.close());
    } catch (error) {
      logger.error(
        { error: (error as Error).message },
        'Next.js cleanup (app.close()) gets no time among the shutdown hooks; it runs unawaited',
      );
      app.close().catch(() => {});
    }
  });
  gate.attach(server);

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, options.hostname, () => {
      server.off('error', reject);
      resolveListen();
    });
  }).catch(async (error: unknown) => {
    if (!options.gate) await gate.dispose();
    await app.close().catch(() => {});
    throw error;
  });
  if (options.ready ?? true) await gate.ready();
  return { gate, server, app, port: (server.address() as AddressInfo).port };
}
