import type { AddressInfo } from 'node:net';
import type { GateOptions } from '@draingate/core';
import { acceptUpgrades, type ConformanceDriver, type Started, type StartOptions, TEST_OPTIONS } from '@draingate/testkit/conformance';
import type { FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import fastify5 from 'fastify5';
import { draingate } from '../src/index.js';

export type FastifyFactory = (options?: Record<string, unknown>) => FastifyInstance;
export const FASTIFY: Record<'4' | '5', FastifyFactory> = {
  '4': fastify4 as unknown as FastifyFactory,
  '5': fastify5 as unknown as FastifyFactory,
};

/** The example's routes on a Fastify app with the plugin registered first. */
export async function buildApp(make: FastifyFactory, options: GateOptions, fastifyOptions: Record<string, unknown> = {}) {
  const app = make({ logger: false, ...fastifyOptions });
  await app.register(draingate, { ...TEST_OPTIONS, ...options });
  app.get('/', async () => ({ hello: 'world' }));
  app.get('/work', (request, reply) => {
    const ms = Number((request.query as { ms?: string }).ms ?? 0);
    const timer = setTimeout(() => void reply.send({ worked: ms }), ms);
    reply.raw.once('close', () => clearTimeout(timer));
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ error: 'not found' });
  });
  return app;
}

async function start(make: FastifyFactory, options: GateOptions, startOptions: StartOptions = {}): Promise<Started> {
  const app = await buildApp(make, options);
  if (startOptions.upgrades) acceptUpgrades(app.server);
  await app.listen({ port: 0, host: '127.0.0.1' });
  if (startOptions.ready !== false) app.draingate.ready();
  return {
    gate: app.draingate,
    port: (app.server.address() as AddressInfo).port,
    async cleanup() {
      // fastify.close() runs the gate's shutdown first (bounded by maxDelay), then Fastify's own close.
      await app.close();
      await app.draingate.dispose();
    },
  };
}

export function fastifyDriver(major: '4' | '5'): ConformanceDriver {
  return {
    name: `fastify ${major}`,
    protocol: 'http1',
    supportsUpgrade: true,
    start: (options, startOptions) => start(FASTIFY[major], options, startOptions),
  };
}
