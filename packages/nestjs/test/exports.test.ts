/** The public API is exactly what src/index.ts re-exports, the built package exposes the same, and the types hold. */
import { readFileSync } from 'node:fs';
import type { DynamicModule } from '@nestjs/common';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.js';
import { DraingateHealthIndicator, type DraingateHealthResult, DraingateModule, DraingateService, type Gate } from '../src/index.js';

describe('@draingate/nestjs exports', () => {
  it('has the documented runtime exports and nothing else', () => {
    expect(Object.keys(api).sort()).toEqual([
      'DRAINGATE_OPTIONS',
      'DraingateConfigError',
      'DraingateHealthIndicator',
      'DraingateModule',
      'DraingateService',
    ]);
  });

  it("re-exports core's DraingateConfigError itself, so that `instanceof` holds for what NestFactory.create() throws", async () => {
    expect(api.DraingateConfigError).toBe((await import('@draingate/core')).DraingateConfigError);
  });

  it('the built entry point matches the source one', async () => {
    const built = await import(new URL('../dist/bundle/index.js', import.meta.url).href);
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
  });

  it('forRoot() is a global dynamic module exporting the service and the health indicator', () => {
    const m = DraingateModule.forRoot({ minDelay: '1s' });
    expect(m.module).toBe(DraingateModule);
    expect(m.global).toBe(true);
    expect(m.exports).toEqual([DraingateService, DraingateHealthIndicator]);
    expectTypeOf(DraingateModule.forRoot).returns.toEqualTypeOf<DynamicModule>();
    expectTypeOf<DraingateService['gate']>().toEqualTypeOf<Gate>();
    expectTypeOf<ReturnType<DraingateHealthIndicator['isReady']>>().toEqualTypeOf<Promise<DraingateHealthResult>>();
  });

  it('package.json is ESM-only with types first in exports, Nest as peers, terminus and prom-client optional', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.name).toBe('@draingate/nestjs');
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'default']);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['@nestjs/common', '@nestjs/core', '@nestjs/terminus', 'prom-client']);
    expect(pkg.peerDependenciesMeta).toEqual({ '@nestjs/terminus': { optional: true }, 'prom-client': { optional: true } });
    expect(pkg.dependencies).toEqual({ '@draingate/core': 'workspace:^' });
  });
});
