import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AnyServer, createGate, type Gate, type GateOptions } from '@draingate/core';
import { handleRequest, isGate } from '@draingate/core/internal';

/**
 * Options of {@link draingate}: the gate's options (a new gate is created; `DRAINGATE_*` from the environment,
 * options win), or `{ gate }` to use a gate created elsewhere (one gate per process: it owns the signals).
 */
export type DraingateExpressOptions = (GateOptions & { gate?: never }) | ({ gate: Gate } & { [K in keyof GateOptions]?: never });

/**
 * The value of {@link draingate}: the gate, `attach(server)` for the server `app.listen()` returns, and itself an
 * Express middleware (`app.use(dg)`) for apps served by a server that is not attached.
 */
export interface DraingateMiddleware {
  /**
   * The middleware, for a server that is not attached (supertest, a server you do not own): answers `/livez`
   * and `/readyz` (and LB health checks while draining), counts the request as in flight and marks its response
   * `Connection: close` while shutting down; otherwise calls `next()`. On an attached server the gate has done
   * all of this before Express saw the request: the middleware is not needed there (it would only call `next()`).
   */
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** The lifecycle gate: `ready()`, `addReadinessCheck()`, `addShutdownHook()`, `shutdown()`, `status()`, events. */
  readonly gate: Gate;
  /**
   * Attaches a server running the app (`app.listen()`'s return value, or your own `node:http`/`node:https`
   * server): the gate sees every request before Express and any middleware (probes, in-flight count,
   * `Connection: close` while draining), tracks connections, and stops the server gracefully on shutdown.
   * Call it once per server, before it accepts connections. Returns the server.
   */
  attach<S extends AnyServer>(server: S): S;
}

function gateFrom(options: DraingateExpressOptions | undefined): Gate {
  if (options === null || typeof options !== 'object' || !('gate' in options)) return createGate(options as GateOptions | undefined);
  if (!isGate(options.gate))
    throw new TypeError(
      'draingate: option "gate" must be a gate made by createGate() from @draingate/core (the copy @draingate/express depends on).',
    );
  const others = Object.keys(options).filter((k) => k !== 'gate');
  if (others.length > 0) {
    throw new TypeError(
      `draingate: pass either gate options or { gate }, not both (got ${others.join(', ')} next to gate): a gate is configured when it is created.`,
    );
  }
  return options.gate;
}

/**
 * draingate for Express 4 and 5: creates the gate (or takes `{ gate }`).
 *
 * ```js
 * const dg = draingate(); // DRAINGATE_* from the environment; options win
 * const server = dg.attach(app.listen(8080, () => dg.gate.ready()));
 * ```
 */
export function draingate(options?: DraingateExpressOptions): DraingateMiddleware {
  const gate = gateFrom(options);
  // The gate remembers per request whether it answered it: on an attached server this is one lookup.
  function draingateMiddleware(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    if (!handleRequest(gate, req, res)) next();
  }
  function attach<S extends AnyServer>(server: S): S {
    gate.attach(server);
    return server;
  }
  return Object.defineProperties(draingateMiddleware, {
    gate: { value: gate, enumerable: true },
    attach: { value: attach, enumerable: true },
  }) as DraingateMiddleware;
}
