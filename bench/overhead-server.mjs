// One server for bench/overhead*.mjs: FRAMEWORK (node|express|fastify|nest-express|nest-fastify|hono|koa|next) × VARIANT (bare|draingate), a trivial
// JSON route on 127.0.0.1, its port printed as the first stdout line; answers 'cpu' IPC messages with its
// CPU time. Draingate runs with its defaults (metrics on when prom-client is installed, as in production;
// METRICS=off sets metrics: false), logging off; Express as documented: dg.attach(server) without app.use(dg).
import http from 'node:http';

const framework = process.env.FRAMEWORK;
const withGate = process.env.VARIANT === 'draingate';
// VARIANT=imported: bare, with the draingate package the draingate variant uses loaded but not used. Loading
// modules is not free per request either: on Node 20 every ESM file is read through a FileHandle (an
// EventEmitter), and enough new EventEmitter classes seen at start-up turn Node's shared EventEmitter code
// megamorphic for every request of the process (see the root README's overhead section).
if (process.env.VARIANT === 'imported') {
  const packages = {
    node: '@draingate/core',
    hono: '@draingate/core',
    koa: '@draingate/core',
    express: '@draingate/express',
    fastify: '@draingate/fastify',
    'nest-express': '@draingate/nestjs',
    'nest-fastify': '@draingate/nestjs',
  };
  if (!packages[framework]) throw new Error(`VARIANT=imported is not available for FRAMEWORK=${framework}`);
  await import(packages[framework]);
}
// Signals off so that SIGTERM ends the process at once (the valgrind benchmark reads the count at exit); the
// signal handlers cost nothing per request.
const metrics = process.env.METRICS ?? 'on';
if (metrics !== 'on' && metrics !== 'off') throw new Error(`METRICS must be on or off, got ${metrics}`);
const gateOptions = { logger: false, signals: false, ...(metrics === 'off' ? { metrics: false } : {}) };
const body = { hello: 'world' };
let server;

if (framework === 'node') {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  if (withGate) {
    const { createGate } = await import('@draingate/core');
    createGate(gateOptions).attach(server).ready();
  }
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
} else if (framework === 'express') {
  const { default: express } = await import('express');
  const app = express();
  let dg;
  if (withGate) {
    // The documented usage: attach() only (the gate sees every request before Express; no middleware needed).
    const { draingate } = await import('@draingate/express');
    dg = draingate(gateOptions);
  }
  app.get('/', (_req, res) => res.json(body));
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  if (dg) {
    dg.attach(server);
    dg.gate.ready();
  }
} else if (framework === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  if (withGate) {
    const { draingate } = await import('@draingate/fastify');
    await app.register(draingate, gateOptions);
  } else if (process.env.VARIANT === 'hook') {
    // Reference, no draingate: one empty onRequest hook, what Fastify's hook runner alone costs per request.
    app.addHook('onRequest', (_request, _reply, next) => next());
  }
  app.get('/', async () => body);
  await app.listen({ port: 0, host: '127.0.0.1' });
  if (withGate) app.draingate.ready();
  server = app.server;
} else if (framework === 'nest-express' || framework === 'nest-fastify') {
  // NestJS on either platform, bare or with DraingateModule + attach(app) (the documented usage); the route is a
  // controller method, decorators applied as functions (no build step).
  const { Controller, Get, Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  class AppController {
    root() {
      return body;
    }
  }
  Controller()(AppController);
  Get()(AppController.prototype, 'root', Object.getOwnPropertyDescriptor(AppController.prototype, 'root'));
  const nest = withGate ? await import('@draingate/nestjs') : null;
  const imports = nest ? [nest.DraingateModule.forRoot(gateOptions)] : [];
  class AppModule {}
  Module({ imports, controllers: [AppController] })(AppModule);
  const adapter = framework === 'nest-fastify' ? new (await import('@nestjs/platform-fastify')).FastifyAdapter() : undefined;
  const app = adapter
    ? await NestFactory.create(AppModule, adapter, { logger: false })
    : await NestFactory.create(AppModule, { logger: false });
  const dg = nest ? app.get(nest.DraingateService) : null;
  dg?.attach(app);
  await app.listen(0, '127.0.0.1');
  dg?.gate.ready();
  server = app.getHttpServer();
} else if (framework === 'hono') {
  // Hono on @hono/node-server; draingate through core's attach() on the server serve() returns (no adapter).
  const [{ Hono }, { serve }] = await Promise.all([import('hono'), import('@hono/node-server')]);
  const app = new Hono();
  app.get('/', (c) => c.json(body));
  server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  if (withGate) {
    const { createGate } = await import('@draingate/core');
    createGate(gateOptions).attach(server).ready();
  }
} else if (framework === 'koa') {
  // Koa's app.callback() on node:http; draingate through core's attach() (no adapter).
  const { default: Koa } = await import('koa');
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = body;
  });
  server = http.createServer(app.callback());
  if (withGate) {
    const { createGate } = await import('@draingate/core');
    createGate(gateOptions).attach(server).ready();
  }
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
} else if (framework === 'next') {
  // Next.js 16 (examples/next's build: `node examples/next/build.mjs` first; its cache makes that a copy), the
  // route GET / (the prerendered page). Bare: Next's own request handler on a node:http server (a custom server as
  // Next documents it); draingate: @draingate/next's startNext() on the same build.
  const dir = new URL('../examples/next/', import.meta.url).pathname;
  process.env.NEXT_MANUAL_SIG_HANDLE = 'true'; // both variants alike (startNext sets it)
  // Next logs to stdout while it starts; the parent reads the port from the first stdout line.
  const log = console.log;
  console.log = console.error;
  if (withGate) {
    // @draingate/next as examples/next resolves it (bench does not depend on it).
    const { createRequire } = await import('node:module');
    const { pathToFileURL } = await import('node:url');
    const entry = createRequire(`${dir}package.json`).resolve('@draingate/next');
    const { startNext } = await import(pathToFileURL(entry).href);
    ({ server } = await startNext({ dir, port: 0, hostname: '127.0.0.1', draingate: gateOptions }));
  } else {
    const { createRequire } = await import('node:module');
    const next = createRequire(`${dir}package.json`)('next');
    let handle;
    server = http.createServer((req, res) => handle(req, res));
    server.keepAliveTimeout = 65_000; // as startNext() sets it (Node's 5 s closes connections between load runs)
    const app = next({ dir, dev: false, port: 0, hostname: '127.0.0.1', httpServer: server });
    await app.prepare();
    handle = app.getRequestHandler();
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
  }
  console.log = log;
} else {
  throw new Error(`unknown FRAMEWORK ${framework}`);
}
// Under valgrind (bench/overhead-instructions.mjs) a request can wait longer than Node's headersTimeout (60 s)
// behind 49 others; natively these never fire. Off there only.
// keepAliveTimeout likewise: an autocannon client starved of CPU on a loaded machine left a connection idle past
// 5 s, Node closed it, and the run failed with connection errors (node:http bare, 50 connections: 37 errors). A
// longer timeout runs the same code per request (the socket's timer is refreshed either way).
if (process.env.DG_UNDER_VALGRIND === '1') {
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.keepAliveTimeout = 600_000;
}
console.log(server.address().port);
// The parent asks for this process's CPU time before and after a load run, or for a full GC (IPC).
process.on('message', (m) => {
  if (m === 'gc') {
    // bench/overhead-instructions.mjs: a full GC before the measured window (needs --expose-gc).
    globalThis.gc();
    process.send({ gc: true });
  } else if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ cpuMicros: user + system });
  }
});
