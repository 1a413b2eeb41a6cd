/** The public API is exactly what src/index.ts re-exports, the built package exposes the same, and the types hold. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { RequestHandler } from 'express';
import express5 from 'express5';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.js';
import {
  type DraingateExpressOptions,
  type DraingateMiddleware,
  draingate,
  type Gate,
  type GateOptions,
  type ShutdownResult,
} from '../src/index.js';

describe('@draingate/express exports', () => {
  it('has the documented runtime exports and nothing else', () => {
    expect(Object.keys(api)).toEqual(['DraingateConfigError', 'draingate']);
    expect(typeof api.draingate).toBe('function');
  });

  it("re-exports core's DraingateConfigError itself, so that `instanceof` holds for what draingate() throws", async () => {
    expect(api.DraingateConfigError).toBe((await import('@draingate/core')).DraingateConfigError);
  });

  it('the built entry point matches the source one', async () => {
    const built = await import(new URL('../dist/bundle/index.js', import.meta.url).href);
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
  });

  it('draingate() returns a 3-argument middleware (not an error handler) carrying gate and attach', async () => {
    const dg = draingate({ signals: false, exit: false, logger: false, metrics: false, env: {} });
    try {
      expect(typeof dg).toBe('function');
      expect(dg.length).toBe(3); // Express treats 4-argument functions as error handlers
      expect(dg.name).toBe('draingateMiddleware'); // what Express's debug output and stack traces show
      expect(Object.keys(dg).sort()).toEqual(['attach', 'gate']);
      expect(typeof dg.gate.shutdown).toBe('function');
      expect(dg.gate.state).toBe('starting');
    } finally {
      await dg.gate.dispose();
    }
  });

  it('package.json is ESM-only with types first in exports, Express and prom-client as peers', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.name).toBe('@draingate/express');
    expect(pkg.type).toBe('module');
    expect(pkg.engines.node).toBe('>=20.19');
    expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'default']);
    expect(pkg.exports['./package.json']).toBe('./package.json');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.files).toEqual(['dist', 'src']);
    expect(pkg.dependencies).toEqual({ '@draingate/core': 'workspace:^' });
    expect(pkg.peerDependencies).toEqual({ express: '^4.18 || ^5', 'prom-client': '^15' });
    expect(pkg.peerDependenciesMeta).toEqual({ 'prom-client': { optional: true } });
  });

  it('has the documented types', async () => {
    expectTypeOf(draingate).parameter(0).toEqualTypeOf<DraingateExpressOptions | undefined>();
    expectTypeOf(draingate).returns.toEqualTypeOf<DraingateMiddleware>();
    expectTypeOf<DraingateMiddleware['gate']>().toEqualTypeOf<Gate>();
    expectTypeOf<Gate['shutdown']>().returns.toEqualTypeOf<Promise<ShutdownResult>>();
    // app.use(dg) type-checks with Express's own types.
    expectTypeOf<DraingateMiddleware>().toExtend<RequestHandler>();
    const dg = draingate({ signals: false, exit: false, logger: false, metrics: false, env: {} });
    expectTypeOf(express5().use).toBeCallableWith(dg);
    await dg.gate.dispose();
    // attach() hands back the server it was given, with its own type.
    expectTypeOf<DraingateMiddleware['attach']>().toBeCallableWith(http.createServer());
    expectTypeOf<ReturnType<typeof attachHttp>>().toEqualTypeOf<http.Server>();
    expectTypeOf<ReturnType<typeof attachHttps>>().toEqualTypeOf<https.Server>();
    // Options: the gate's options, or { gate } alone; durations carry a unit.
    expectTypeOf<{ maxDelay: '20s' }>().toExtend<DraingateExpressOptions>();
    expectTypeOf<{ maxDelay: 20000 }>().not.toExtend<DraingateExpressOptions>();
    expectTypeOf<{ gate: Gate }>().toExtend<DraingateExpressOptions>();
    expectTypeOf<{ gate: Gate; minDelay: '1s' }>().not.toExtend<DraingateExpressOptions>();
    expectTypeOf<GateOptions>().toExtend<DraingateExpressOptions>();
  });
});

// Type-level helpers for the attach() return type (never called).
declare const dgForTypes: DraingateMiddleware;
const attachHttp = () => dgForTypes.attach(http.createServer());
const attachHttps = () => dgForTypes.attach(https.createServer());
