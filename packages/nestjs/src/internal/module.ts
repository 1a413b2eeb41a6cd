import { createGate, type GateOptions } from '@draingate/core';
import type { DynamicModule, FactoryProvider, ModuleMetadata } from '@nestjs/common';
import { DraingateHealthIndicator } from './health.js';
import { DraingateService } from './service.js';

/** Injection token of the gate options `forRoot()`/`forRootAsync()` resolved. */
export const DRAINGATE_OPTIONS: unique symbol = Symbol.for('@draingate/nestjs:options');

/** Options of `DraingateModule.forRoot()`: the core gate's options (`DRAINGATE_*` from the environment; options win). */
export type DraingateModuleOptions = GateOptions;

/** Options of `DraingateModule.forRootAsync()`: the gate options from a factory, e.g. with a config service. */
export interface DraingateModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => DraingateModuleOptions | Promise<DraingateModuleOptions>;
  inject?: FactoryProvider['inject'];
}

function providers(options: FactoryProvider): NonNullable<ModuleMetadata['providers']> {
  return [
    options,
    {
      provide: DraingateService,
      // One gate per application: created while Nest instantiates providers (NestFactory.create()), not at import.
      useFactory: (gateOptions: GateOptions) => new DraingateService(createGate(gateOptions)),
      inject: [DRAINGATE_OPTIONS],
    },
    { provide: DraingateHealthIndicator, useFactory: (s: DraingateService) => new DraingateHealthIndicator(s), inject: [DraingateService] },
  ];
}

/**
 * draingate for NestJS (on `@nestjs/platform-express` or `@nestjs/platform-fastify`): a global module providing
 * {@link DraingateService} (the gate) and {@link DraingateHealthIndicator}; `app.get(DraingateService).attach(app)` in
 * `main.ts` attaches the gate to Nest's HTTP server and hands it Nest's `app.close()`. Imports nothing of Nest at run
 * time (a Nest module is a plain class and a `DynamicModule` object), so the app's own copy of Nest is the only one.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class (the DynamicModule's `module`), with forRoot() on it by convention
export class DraingateModule {
  /** The gate from `options` (and `DRAINGATE_*`; options win). Throws `DraingateConfigError` at `NestFactory.create()`. */
  static forRoot(options: DraingateModuleOptions = {}): DynamicModule {
    return DraingateModule.#module([], { provide: DRAINGATE_OPTIONS, useValue: options } as unknown as FactoryProvider);
  }

  /** The gate from options a factory returns (`inject` its dependencies, `imports` their modules). */
  static forRootAsync(options: DraingateModuleAsyncOptions): DynamicModule {
    if (options === null || typeof options !== 'object' || typeof options.useFactory !== 'function') {
      throw new TypeError('@draingate/nestjs: DraingateModule.forRootAsync() needs { useFactory }, a function returning the gate options.');
    }
    const factory: FactoryProvider = { provide: DRAINGATE_OPTIONS, useFactory: options.useFactory as FactoryProvider['useFactory'] };
    if (options.inject) factory.inject = options.inject;
    return DraingateModule.#module(options.imports ?? [], factory);
  }

  static #module(imports: NonNullable<ModuleMetadata['imports']>, options: FactoryProvider): DynamicModule {
    return {
      module: DraingateModule,
      global: true,
      imports,
      providers: providers(options),
      exports: [DraingateService, DraingateHealthIndicator],
    };
  }
}
