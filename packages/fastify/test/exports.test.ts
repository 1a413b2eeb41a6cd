import { readFileSync } from 'node:fs';
import type { Gate } from '@draingate/core';
import type { FastifyPluginCallback } from 'fastify';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.js';
import draingateDefault, { type DraingateFastifyOptions, draingate } from '../src/index.js';

describe('@draingate/fastify exports', () => {
  it('exports the plugin as default and named, the config error, and nothing else at run time', () => {
    expect(Object.keys(api).sort()).toEqual(['DraingateConfigError', 'default', 'draingate']);
    expect(draingateDefault).toBe(draingate);
    const meta = (draingate as unknown as Record<symbol, { name: string; fastify: string }>)[Symbol.for('plugin-meta')];
    expect(meta).toMatchObject({ name: '@draingate/fastify', fastify: '4.x || 5.x' });
    expect((draingate as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')]).toBe(true);
  });

  it("re-exports core's DraingateConfigError itself, so that `instanceof` holds for what register() rejects with", async () => {
    expect(api.DraingateConfigError).toBe((await import('@draingate/core')).DraingateConfigError);
  });

  it('the built entry point matches the source one', async () => {
    const built = await import(new URL('../dist/bundle/index.js', import.meta.url).href);
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
  });

  it('package.json: ESM-only, types first, framework and prom-client as peers', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'default']);
    expect(pkg.peerDependencies).toEqual({ fastify: '^4.26 || ^5', 'prom-client': '^15' });
    expect(pkg.peerDependenciesMeta['prom-client'].optional).toBe(true);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@draingate/core', 'fastify-plugin']);
  });

  it('has the documented types', () => {
    expectTypeOf(draingate).toEqualTypeOf<FastifyPluginCallback<DraingateFastifyOptions>>();
    expectTypeOf<DraingateFastifyOptions['gate']>().toEqualTypeOf<Gate | undefined>();
    expectTypeOf<DraingateFastifyOptions>().toHaveProperty('maxDelay');
    expectTypeOf<import('fastify').FastifyInstance['draingate']>().toEqualTypeOf<Gate>();
  });
});
