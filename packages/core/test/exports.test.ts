/** The public API is exactly what src/index.ts re-exports, and the built package exposes the same. */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.js';
import {
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

describe('@draingate/core exports', () => {
  it('has the documented runtime exports and nothing else', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'DEFAULTS',
        'DraingateConfigError',
        'ENV_VARS',
        'Gate',
        'SIDECAR_ENV_VARS',
        'SIDECAR_SETTINGS',
        'LB_TYPES',
        'lbTypeOfProtocol',
        'STATES',
        'checkSidecarStatus',
        'createGate',
        'formatDuration',
        'isLbSourceLive',
        'parseDuration',
        'redactSecrets',
        'resolveConfig',
      ].sort(),
    );
    expect(api.STATES).toEqual(['starting', 'ready', 'unready', 'draining', 'stopping', 'stopped']);
  });

  it('the built entry point matches the source one', async () => {
    const built = await import('../dist/index.js');
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
  });

  it('package.json is ESM-only with types first in exports', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.exports['.'])).toEqual(['types', 'default']);
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
    expectTypeOf(api.isLbSourceLive).toEqualTypeOf<(lastAt: number, intervalMs: number | null, now: number) => boolean>();
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
