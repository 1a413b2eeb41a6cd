// Nest apps for the tests, on @nestjs/platform-express and @nestjs/platform-fastify, with the examples' routes, for
// whichever Nest the caller passes in (11 from test/helpers/apps.ts, 10 from test/nest10/apps.ts: each resolves
// @nestjs/* from its own directory). Decorators are applied as functions (what TypeScript compiles `@Get()` to), so
// no decorator transform is needed.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConformanceDriver, Started, StartOptions } from '@draingate/testkit/conformance';
import { acceptUpgrades, releaseGate, TEST_OPTIONS } from '@draingate/testkit/conformance';
import type * as NestCommon from '@nestjs/common';
import type { ArgumentsHost, DynamicModule, INestApplication, ModuleMetadata, Provider } from '@nestjs/common';
import type { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { DraingateModule, DraingateService, type GateOptions } from '../../src/index.js';

/** One Nest: its packages as the caller's directory resolves them (typed as 11's; 10's are the same in what is used). */
export interface Nest {
  name: string;
  common: typeof NestCommon;
  NestFactory: typeof NestFactory;
  HttpAdapterHost: typeof HttpAdapterHost;
  FastifyAdapter: typeof FastifyAdapter;
}

export type Platform = 'express' | 'fastify';
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

function method(target: object, key: string): PropertyDescriptor {
  return Object.getOwnPropertyDescriptor(target, key)!;
}

export interface NestKit {
  nest: Nest;
  startNest(platform: Platform, options: GateOptions, start?: NestStartOptions): Promise<StartedNest>;
  nestDriver(platform: Platform): ConformanceDriver;
}

/** The test apps and the conformance driver for one Nest. */
export interface NestStartOptions extends StartOptions {
  /** Extra providers of the app module (e.g. one with onModuleDestroy). */
  providers?: Provider[];
  /** Extra controllers. */
  controllers?: (new (
    ...args: never[]
  ) => unknown)[];
  /** Extra imports of the app module. */
  imports?: ModuleMetadata['imports'];
  /** `DraingateModule.forRootAsync(...)` instead of `forRoot(options)`. */
  draingateModule?: DynamicModule;
  /** Runs on the app before `attach(app)` (e.g. `app.enableShutdownHooks()`). */
  beforeAttach?: (app: INestApplication) => void;
  /** Runs on the app after `attach(app)`, before `app.listen()`. */
  afterAttach?: (app: INestApplication) => void;
  /** Call `app.get(DraingateService).attach(app)` (default true). */
  attach?: boolean;
}

export interface StartedNest extends Started {
  app: INestApplication;
  draingate: DraingateService;
  server: http.Server;
}

export function nestKit(nest: Nest): NestKit {
  const { Catch, Controller, Get, Module, NotFoundException, Query } = nest.common;
  const { NestFactory, HttpAdapterHost, FastifyAdapter } = nest;

  class AppController {
    root() {
      return { hello: 'world' };
    }
    async work(ms: string | undefined) {
      const wait = Number(ms ?? 0);
      await new Promise<void>((resolve) => setTimeout(resolve, wait).unref());
      return { worked: wait };
    }
  }
  Controller()(AppController);
  Get()(AppController.prototype, 'root', method(AppController.prototype, 'root'));
  Get('work')(AppController.prototype, 'work', method(AppController.prototype, 'work'));
  Query('ms')(AppController.prototype, 'work', 0);

  /** The examples' JSON 404 on either platform. */
  class NotFoundFilter {
    constructor(readonly adapterHost: HttpAdapterHost) {}
    catch(_exception: unknown, host: ArgumentsHost) {
      this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { error: 'not found' }, 404);
    }
  }
  Catch(NotFoundException)(NotFoundFilter);

  /** A Nest app the documented way: DraingateModule.forRoot(), app.get(DraingateService).attach(app), app.listen(). */
  async function startNest(platform: Platform, options: GateOptions, start: NestStartOptions = {}): Promise<StartedNest> {
    class AppModule {}
    Module({
      imports: [start.draingateModule ?? DraingateModule.forRoot({ ...TEST_OPTIONS, ...options }), ...(start.imports ?? [])],
      controllers: [AppController, ...(start.controllers ?? [])],
      providers: start.providers ?? [],
    })(AppModule);
    const app =
      platform === 'express'
        ? await NestFactory.create(AppModule, { logger: false, abortOnError: false })
        : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false, abortOnError: false });
    const draingate = app.get(DraingateService);
    start.beforeAttach?.(app);
    if (start.attach !== false) draingate.attach(app);
    start.afterAttach?.(app);
    app.useGlobalFilters(new NotFoundFilter(app.get(HttpAdapterHost)));
    const server = app.getHttpServer() as http.Server;
    if (start.upgrades) acceptUpgrades(server); // neither platform handles upgrades here
    await app.listen(0, '127.0.0.1');
    const { gate } = draingate;
    if (start.ready !== false) await gate.ready();
    return {
      app,
      draingate,
      server,
      gate,
      port: (server.address() as AddressInfo).port,
      // Once shut down, app.close(): the gate's shutdown (already running or done), then Nest's close, once.
      cleanup: () => releaseGate(gate, server, { shutdown: () => app.close() }),
    };
  }

  function nestDriver(platform: Platform): ConformanceDriver {
    return {
      name: `${nest.name} on ${platform}`,
      protocol: 'http1',
      supportsUpgrade: true,
      start: (options, start) => startNest(platform, options, start),
    };
  }

  return { nest, startNest, nestDriver };
}
