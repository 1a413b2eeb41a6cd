// The entry points of framework adapters, exported by `@draingate/core/internal` only: the public `Gate` type does
// not advertise them. They reach the gate through `gateAccess` (gate-access.ts), which `Gate`'s static block fills in.
import type { Gate } from './gate.js';
import { gateAccess } from './gate-access.js';
import type { AnyRequest, AnyResponse, AnyServer } from './servers.js';

export interface AttachOptions {
  /**
   * Let the gate see every request first: it answers `/livez` and `/readyz` (and LB health checks while
   * draining), counts in-flight requests and adds `Connection: close` while draining. Default `true` (what
   * `gate.attach(server)` does). Framework adapters that route through the framework set `false` and call
   * {@link handleRequest} for each request.
   */
  handleRequests?: boolean;
}

/** `true` when `value` is a gate made by `createGate()` of this copy of `@draingate/core`. */
export function isGate(value: unknown): value is Gate {
  return gateAccess.isGate(value);
}

/**
 * `gate.attach(server)` for adapters: with `handleRequests: false` the gate tracks connections, draining and
 * stopping on the server but leaves requests to the adapter, which hands each to {@link handleRequest}.
 */
export function attachServer(gate: Gate, server: AnyServer, options: AttachOptions = {}): Gate {
  if (!isGate(gate)) {
    throw new TypeError('draingate: attachServer() takes a gate made by createGate() from the same @draingate/core as the adapter.');
  }
  const handleRequests = options.handleRequests ?? true;
  if (typeof handleRequests !== 'boolean') {
    throw new TypeError(
      `draingate: attachServer() option "handleRequests" must be true or false, got ${JSON.stringify(handleRequests) ?? String(handleRequests)}.`,
    );
  }
  gateAccess.attach(gate, server, handleRequests);
  return gate;
}

/**
 * The per-request entry point for every adapter. Answers `/livez`, `/readyz` and (while draining) LB health
 * checks and returns `true`; otherwise tracks the request and returns `false` for the app to serve it. Calling it
 * twice for one request is harmless. Allocates nothing for a plain HTTP/1 request (no closure, no wrapper).
 */
export function handleRequest(gate: Gate, req: AnyRequest, res: AnyResponse): boolean {
  return gateAccess.requests(gate).handleRequest(req, res);
}
