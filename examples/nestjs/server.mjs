// A NestJS service behind a load balancer, made deploy-safe by @draingate/nestjs, on Express (default) or on
// Fastify (NEST_PLATFORM=fastify). Same routes, environment and output as examples/node-http: PORT, GET /,
// GET /work?ms=N, DRAINGATE_*. Plain JavaScript with no build step: Nest's decorators are applied as functions
// (`Get('work')(...)`), which is what TypeScript compiles `@Get('work')` to.

import { DraingateConfigError, DraingateModule, DraingateService } from '@draingate/nestjs';
import { Catch, Controller, Get, Module, NotFoundException, Query } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';

// A DRAINGATE_* setting that is invalid, or that this machine cannot honour (a management port another process
// holds): print draingate's one line, which names the variable, and exit 2. draingate throws; the app owns the exit.
function exitOnConfigError(error) {
  if (!(error instanceof DraingateConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const port = Number(process.env.PORT ?? 3000);
const platform = process.env.NEST_PLATFORM ?? 'express';
if (platform !== 'express' && platform !== 'fastify') {
  console.error(`NEST_PLATFORM must be "express" or "fastify", got "${platform}"`);
  process.exit(2);
}
const log = (event) => console.log(JSON.stringify({ ...event, at: Date.now() }));

class AppController {
  root() {
    return { hello: 'world', pid: process.pid };
  }
  async work(ms) {
    const wait = Math.min(Math.max(Number(ms) || 0, 0), 60_000);
    await new Promise((resolve) => setTimeout(resolve, wait));
    return { worked: wait };
  }
}
Controller()(AppController);
Get()(AppController.prototype, 'root', Object.getOwnPropertyDescriptor(AppController.prototype, 'root'));
Get('work')(AppController.prototype, 'work', Object.getOwnPropertyDescriptor(AppController.prototype, 'work'));
Query('ms')(AppController.prototype, 'work', 0);

// Stands for a database pool: Nest destroys it only after the last request finished (draingate calls app.close()
// once it has drained and stopped the server).
class Database {
  onModuleDestroy() {
    log({ event: 'onModuleDestroy' });
  }
  onApplicationShutdown(signal) {
    log({ event: 'onApplicationShutdown', signal });
  }
}
Module({ providers: [Database], exports: [Database] })(Database);

// The same JSON 404 as the other examples, on either platform.
class NotFoundFilter {
  constructor(adapterHost) {
    this.adapterHost = adapterHost;
  }
  catch(_exception, host) {
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { error: 'not found' }, 404);
  }
}
Catch(NotFoundException)(NotFoundFilter);

class AppModule {}
// DRAINGATE_* from the environment (DRAINGATE_GRACE_PERIOD, DRAINGATE_MAX_DELAY, DRAINGATE_MANAGEMENT_PORT, ...).
Module({ imports: [DraingateModule.forRoot(), Database], controllers: [AppController] })(AppModule);

async function createApp() {
  // abortOnError: false makes NestFactory.create() throw a failed start-up (e.g. an invalid DRAINGATE_* variable)
  // instead of calling process.abort(), so that the app prints draingate's one line and exits 2.
  const options = { logger: ['error', 'warn'], abortOnError: false };
  if (platform === 'express') return NestFactory.create(AppModule, options);
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  // Keep idle connections open longer than the ALB idle timeout (60 s), so the LB closes them, not us.
  return NestFactory.create(AppModule, new FastifyAdapter({ keepAliveTimeout: 65_000 }), options);
}

let app;
try {
  app = await createApp(); // creates the gate: a DraingateConfigError here names the DRAINGATE_* variable
} catch (error) {
  exitOnConfigError(error);
}
const draingate = app.get(DraingateService);
// The gate owns SIGTERM/SIGINT: it drains, stops the server, then runs app.close() (onModuleDestroy,
// beforeApplicationShutdown, onApplicationShutdown). Do not call app.enableShutdownHooks() for these signals.
draingate.attach(app);
app.useGlobalFilters(new NotFoundFilter(app.get(HttpAdapterHost)));
if (platform === 'express') {
  // Keep idle connections open longer than the ALB idle timeout (60 s), so the LB closes them, not us.
  app.getHttpServer().keepAliveTimeout = 65_000;
  app.getHttpServer().headersTimeout = 66_000;
}
draingate.gate.on('state', (change) => console.log(JSON.stringify({ event: 'state', ...change })));

await app.listen(port, process.env.HOST ?? '0.0.0.0');
console.log(JSON.stringify({ event: 'listening', port: app.getHttpServer().address().port, pid: process.pid }));
await draingate.gate.ready().catch(exitOnConfigError); // warm-up done: /readyz turns 200
