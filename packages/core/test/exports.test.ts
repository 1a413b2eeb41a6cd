/**
 * The public API is exactly what src/index.ts re-exports; what only adapters and draingate's own packages use is
 * exactly what src/internal.ts re-exports (`@draingate/core/internal`); the built package exposes the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.js';
import {
  type AnyServer,
  createGate,
  type DrainEvidence,
  type Gate,
  type GateEvents,
  type GateOptions,
  type LbHealthCheckReport,
  type LbSourceReport,
  type LifecycleState,
  type Logger,
  type ShutdownResult,
  type StateChange,
  type StatusReport,
} from '../src/index.js';
import type { AnyRequest, AnyResponse, AttachOptions } from '../src/internal.js';
import * as internal from '../src/internal.js';

describe('@draingate/core exports', () => {
  it('has the documented runtime exports and nothing else', () => {
    expect(Object.keys(api).sort()).toEqual(['DraingateConfigError', 'STATES', 'createGate'].sort());
    expect(api.STATES).toEqual(['starting', 'ready', 'unready', 'draining', 'stopping', 'stopped']);
  });

  it('the internal entry has the adapter entry points and the sibling-only exports, and nothing else', () => {
    expect(Object.keys(internal).sort()).toEqual(
      [
        'DEFAULTS',
        'defaultMaxDelay',
        'ENV_VARS',
        'LB_TYPES',
        'SIDECAR_ENV_VARS',
        'SIDECAR_SETTINGS',
        'attachServer',
        'checkSidecarStatus',
        'formatDuration',
        'handleRequest',
        'isGate',
        'isLbSourceLive',
        'lbTypeOfProtocol',
        'parseDuration',
        'redactSecrets',
        'resolveConfig',
      ].sort(),
    );
    // Nothing is in both: an application never needs the internal entry.
    expect(Object.keys(internal).filter((k) => k in api)).toEqual([]);
  });

  it('Gate is a type only; the gate does not carry the adapter entry points', async () => {
    expect('Gate' in api).toBe(false);
    const gate = api.createGate({ signals: false, exit: false, logger: false, metrics: false, env: {} });
    try {
      expect('handleRequest' in gate).toBe(false);
      expect(gate.attach.length).toBe(1);
      expect(internal.isGate(gate)).toBe(true);
      expect(internal.isGate({ attach() {}, shutdown() {}, handleRequest() {} })).toBe(false);
      expect(internal.isGate(null)).toBe(false);
      expect(() => internal.attachServer({} as never, http.createServer())).toThrow(/attachServer\(\) takes a gate made by createGate\(\)/);
      expect(() => internal.attachServer(gate, http.createServer(), { handleRequests: 'no' as never })).toThrow(
        /option "handleRequests" must be true or false, got "no"/,
      );
    } finally {
      await gate.dispose();
    }
  });

  it('the built entry points match the source ones', async () => {
    const built = await import(new URL('../dist/bundle/index.js', import.meta.url).href);
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
    const builtInternal = await import(new URL('../dist/bundle/internal.js', import.meta.url).href);
    expect(Object.keys(builtInternal).sort()).toEqual(Object.keys(internal).sort());
    // The two entries share one copy of the gate's private access (scripts/bundle.mjs: one shared chunk).
    const gate = built.createGate({ logger: false, signals: false });
    try {
      expect(builtInternal.isGate(gate)).toBe(true);
    } finally {
      await gate.dispose();
    }
  });

  it('the bundle loads as a few files: no module of its own besides its shared chunk (scripts/bundle.mjs)', () => {
    const dir = new URL('../dist/bundle/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect(files.filter((f) => !f.startsWith('shared-')).sort()).toEqual(['index.js', 'internal.js']);
    for (const file of files) {
      const relative = [...readFileSync(new URL(file, dir), 'utf8').matchAll(/^import .* from "(\.[^"]+)";$/gm)].map((m) => m[1]);
      for (const specifier of relative) expect(specifier).toMatch(/^\.\/shared-[\w-]+\.js$/);
    }
  });

  it('package.json is ESM-only with types first in exports', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.exports)).toEqual(['.', './internal', './package.json']);
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/bundle/index.js' });
    expect(pkg.exports['./internal']).toEqual({ types: './dist/internal.d.ts', default: './dist/bundle/internal.js' });
    expect(pkg.exports['./package.json']).toBe('./package.json');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.peerDependenciesMeta['prom-client'].optional).toBe(true);
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('has the documented types', () => {
    expectTypeOf(createGate).parameter(0).toEqualTypeOf<GateOptions | undefined>();
    expectTypeOf(createGate).returns.toEqualTypeOf<Gate>();
    expectTypeOf<Gate['state']>().toEqualTypeOf<LifecycleState>();
    expectTypeOf<Gate['shutdown']>().returns.toEqualTypeOf<Promise<ShutdownResult>>();
    expectTypeOf<ShutdownResult['exitCode']>().toEqualTypeOf<0 | 1>();
    expectTypeOf<DrainEvidence['kind']>().toEqualTypeOf<
      'sidecar' | 'lb-health-checks' | 'lb-health-checks-stopped' | 'quiet-period' | 'fixed-delay' | 'max-delay'
    >();
    expectTypeOf<StateChange>().toHaveProperty('reason').toEqualTypeOf<string>();
    // Durations must carry a unit, in types as at run time.
    expectTypeOf<{ maxDelay: '20s' }>().toExtend<GateOptions>();
    expectTypeOf<{ maxDelay: 20000 }>().not.toExtend<GateOptions>();
    // The LB health-check report and its liveness rule are typed, for the sidecar's app source to consume.
    expectTypeOf<StatusReport['lbHealthChecks']>().toEqualTypeOf<LbHealthCheckReport>();
    expectTypeOf<LbHealthCheckReport['sources']>().toEqualTypeOf<Record<string, LbSourceReport>>();
    expectTypeOf<LbSourceReport['lastAt']>().toEqualTypeOf<string | null>();
    expectTypeOf(internal.isLbSourceLive).toEqualTypeOf<(lastAt: number, intervalMs: number | null, now: number) => boolean>();
    // The adapters' entry points are functions of the internal entry, not members of the public Gate type.
    expectTypeOf<Gate>().not.toHaveProperty('handleRequest');
    expectTypeOf<Gate['attach']>().parameters.toEqualTypeOf<[server: AnyServer]>();
    expectTypeOf(internal.handleRequest).toEqualTypeOf<(gate: Gate, req: AnyRequest, res: AnyResponse) => boolean>();
    expectTypeOf(internal.attachServer).toEqualTypeOf<(gate: Gate, server: AnyServer, options?: AttachOptions) => Gate>();
    expectTypeOf<AttachOptions>().toEqualTypeOf<{ handleRequests?: boolean }>();
    // Events are typed.
    expectTypeOf<GateEvents['stopped']>().toEqualTypeOf<[result: ShutdownResult]>();
    const typedListeners = (gate: Gate) => {
      gate.on('state', (change) => expectTypeOf(change).toEqualTypeOf<StateChange>());
      // @ts-expect-error a listener for 'state' does not receive a number
      gate.on('state', (_n: number) => {});
    };
    expectTypeOf(typedListeners).toBeFunction();
    // pino's and Fastify's loggers fit.
    expectTypeOf<{
      debug(o: object, m?: string): void;
      info(o: object, m?: string): void;
      warn(o: object, m?: string): void;
      error(o: object, m?: string): void;
    }>().toExtend<Logger>();
  });
});
