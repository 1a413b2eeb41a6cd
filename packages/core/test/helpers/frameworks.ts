// Conformance drivers for Hono (@hono/node-server) and Koa on core's attach(): no adapter package, the way the
// core README's Hono and Koa sections show. Same routes as the examples: GET /, GET /work?ms=N, JSON 404.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConformanceDriver, Started, StartOptions } from '@draingate/testkit/conformance';
import { acceptUpgrades, releaseGate, TEST_OPTIONS } from '@draingate/testkit/conformance';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import Koa from 'koa';
import { createGate, type Gate, type GateOptions } from '../../src/index.js';

function startedFor(gate: Gate, server: http.Server): Started {
  return { gate, port: (server.address() as AddressInfo).port, cleanup: () => releaseGate(gate, server) };
}

export function honoApp(): Hono {
  const app = new Hono();
  app.get('/', (c) => c.json({ hello: 'world' }));
  app.get('/work', async (c) => {
    const ms = Number(c.req.query('ms') ?? 0);
    await new Promise((r) => setTimeout(r, ms));
    return c.json({ worked: ms });
  });
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  return app;
}

/** Hono the documented way: `gate.attach(serve({ fetch: app.fetch, ... }))`. */
async function startHono(options: GateOptions, start: StartOptions = {}): Promise<Started> {
  const gate = createGate({ ...TEST_OPTIONS, ...options });
  const app = honoApp();
  let server: ServerType | undefined;
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    gate.attach(server);
    if (start.upgrades) acceptUpgrades(server as http.Server);
  });
  if (start.ready !== false) await gate.ready();
  return startedFor(gate, server as http.Server);
}

export function koaApp(): Koa {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.path === '/') ctx.body = { hello: 'world' };
    else if (ctx.path === '/work') {
      const ms = Number(ctx.query.ms ?? 0);
      await new Promise((r) => setTimeout(r, ms));
      ctx.body = { worked: ms };
    } else {
      ctx.status = 404;
      ctx.body = { error: 'not found' };
    }
  });
  return app;
}

/** Koa the documented way: `gate.attach(http.createServer(app.callback()))`. */
async function startKoa(options: GateOptions, start: StartOptions = {}): Promise<Started> {
  const gate = createGate({ ...TEST_OPTIONS, ...options });
  const server = http.createServer(koaApp().callback());
  gate.attach(server);
  if (start.upgrades) acceptUpgrades(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  if (start.ready !== false) await gate.ready();
  return startedFor(gate, server);
}

export const hono: ConformanceDriver = { name: 'hono (@hono/node-server)', protocol: 'http1', supportsUpgrade: true, start: startHono };
export const koa: ConformanceDriver = { name: 'koa', protocol: 'http1', supportsUpgrade: true, start: startKoa };
