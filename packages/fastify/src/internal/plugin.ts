import { createGate, type Gate, type GateOptions } from '@draingate/core';
import { attachServer, handleRequest } from '@draingate/core/internal';
import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The draingate lifecycle gate: `ready()`, `addReadinessCheck()`, `addShutdownHook()`, `status()`, ... */
    draingate: Gate;
  }
}

/** Plugin options: the core {@link GateOptions}, or an existing gate. */
export interface DraingateFastifyOptions extends GateOptions {
  /** Use this gate (one per process) instead of creating one from the options. */
  gate?: Gate;
}

/** Keys Fastify's `register()` puts in every plugin's options object: not draingate's. */
const REGISTER_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);

function plugin(fastify: FastifyInstance, options: DraingateFastifyOptions, done: (error?: Error) => void): void {
  const { gate: given, ...rest } = options;
  const gateOptions = Object.fromEntries(Object.entries(rest).filter(([k]) => !REGISTER_KEYS.has(k))) as GateOptions;
  let gate: Gate;
  try {
    if (given && Object.keys(gateOptions).length > 0) {
      throw new TypeError(
        `@draingate/fastify: pass either { gate } or gate options, not both (got ${Object.keys(gateOptions).join(', ')} with gate).`,
      );
    }
    // Fastify's own (pino) logger by default.
    gate = given ?? createGate({ logger: fastify.log, ...gateOptions });
  } catch (error) {
    done(error as Error);
    return;
  }

  fastify.decorate('draingate', gate);
  // Connections, draining and stopping at the server; requests come through the hook below so that inject()
  // and Fastify's routing see the same answers as real sockets.
  attachServer(gate, fastify.server, { handleRequests: false });

  // First hook of every route, 404 included (fastify-plugin shares it with the whole instance). The gate
  // answers /livez, /readyz and, while draining, LB health checks; otherwise it counts the request in flight
  // (until the raw response closes, whatever happens in between) and marks it Connection: close while draining.
  fastify.addHook('onRequest', (request, reply, next) => {
    if (handleRequest(gate, request.raw, reply.raw)) reply.hijack();
    next();
  });

  // fastify.close() and the gate must not undo each other. Fastify's close marks the instance closing before any
  // hook runs: from then on it answers 503 (return503OnClosing) and closes idle keep-alive connections
  // (forceCloseConnections), exactly what draining must not do while the LB still routes here. So:
  // - fastify.close() first (tests, close-with-grace, your own signal handler): the whole gate shutdown runs
  //   first (draining until evidence, then stopping), and only then Fastify's close, with nothing left to refuse.
  // - a signal first: the gate drains and stops the server, then calls fastify.close() (a shutdown hook) so
  //   the app's preClose/onClose hooks run.
  // Fastify's own close runs once, whoever asks first; inside the gate's hooks it is bounded by hooksTimeout.
  const fastifyClose = fastify.close as unknown as (this: FastifyInstance) => Promise<unknown>;
  let fastifyClosing: Promise<unknown> | null = null;
  const closeFastify = () => {
    fastifyClosing ??= fastifyClose.call(fastify);
    return fastifyClosing;
  };
  gate.addShutdownHook('fastify.close()', closeFastify);
  const close = function close(this: FastifyInstance, listener?: (error?: Error) => void): unknown {
    const closed = gate.shutdown('fastify.close()').then(closeFastify);
    if (typeof listener !== 'function') return closed.then(() => undefined);
    void closed.then(
      () => listener(),
      (error: Error) => listener(error),
    );
    return this;
  };
  fastify.close = close as FastifyInstance['close'];
  // A management listener that cannot listen (port taken, host unknown) fails app.register() with the gate's one
  // line naming the setting, before the app can start serving without its probes.
  gate.listenManagement().then(
    () => done(),
    (error: Error) => done(error),
  );
}

/**
 * The draingate Fastify plugin (Fastify 4 and 5): `await app.register(draingate, options)`, then
 * `app.draingate.ready()` once warmed up.
 */
export const draingate: FastifyPluginCallback<DraingateFastifyOptions> = fp(plugin, {
  fastify: '4.x || 5.x',
  name: '@draingate/fastify',
});
