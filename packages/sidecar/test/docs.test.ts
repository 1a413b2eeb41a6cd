import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSidecarStatus } from '@draingate/core/internal';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.js';
import { SETTINGS } from '../src/internal/config.js';
import * as internal from '../src/internal.js';

// The README's settings table and JSON example are the code's, and the package exports what it documents.
const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '../README.md'), 'utf8');
const contract = readFileSync(join(here, '../../../docs/sidecar-contract.md'), 'utf8');

describe('README', () => {
  it('the settings table is SETTINGS, row for row (flag, env, default, meaning)', () => {
    // Biome pads markdown tables: compare trimmed cells.
    const lines = readme.split('\n');
    const header = lines.findIndex((l) => /^\|\s*flag\s*\|\s*environment\s*\|\s*default\s*\|\s*meaning\s*\|$/.test(l));
    expect(header).toBeGreaterThan(0);
    const body: string[] = [];
    for (const l of lines.slice(header + 2)) {
      if (!l.startsWith('|')) break;
      body.push(l);
    }
    const rows = body.map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim().replace(/`/g, '')),
    );
    expect(rows).toEqual(SETTINGS.map((s) => [`--${s.flag}`, s.env, s.default ?? '—', s.doc.replace(/`/g, '')]));
  });

  it("the /v1/status example has exactly the keys the sidecar serves, and passes core's contract check", () => {
    const json = /### `GET \/v1\/status`[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1] as string;
    const example = JSON.parse(json) as Record<string, unknown>;
    expect(checkSidecarStatus(example)).toBeNull();
    const served: (keyof api.SidecarStatusBody)[] = [
      'apiVersion',
      'source',
      'gate',
      'deregistered',
      'deregisteredAt',
      'targets',
      'lastError',
      'phase',
      'detail',
      'evidenceAvailable',
      'draining',
      'writesStopped',
      'registrationStalled',
      'deregistration',
    ];
    expect(Object.keys(example).sort()).toEqual([...served].sort());
  });

  it('docs/sidecar-contract.md example passes the same check and names the default port', () => {
    const json = /```json\n([\s\S]*?)```/.exec(contract)?.[1] as string;
    expect(checkSidecarStatus(JSON.parse(json))).toBeNull();
    expect(contract).toContain('127.0.0.1:9901');
  });
});

describe('exports', () => {
  it('src/index.ts exports the config parser and startSidecar', () => {
    // Not the plumbing: no Kubernetes client, condition writer, backoff or failure classes.
    expect(Object.keys(api).sort()).toEqual(
      [
        'SETTINGS',
        'SidecarConfigError',
        'createJsonLogger',
        'describeConfig',
        'resolveConfig',
        'silentLogger',
        'startSidecar',
        'usage',
      ].sort(),
    );
  });

  it("src/internal.ts (@draingate/sidecar/internal) exports the Kubernetes client and the pod engine for draingate's own packages, and nothing else", async () => {
    // The controller holds one PodEngine per pod and feeds it (issue 14), and its binary and HTTP API start and stop
    // as the sidecar's do; the test kit uses the Kubernetes client.
    expect(Object.keys(internal).sort()).toEqual(
      [
        'cliStart',
        'closeHttp',
        'exitOnStartFailure',
        'listenHttp',
        'onStopSignals',
        'Backoff',
        'ConditionSync',
        'ConditionWriter',
        'ErrorReport',
        'Failure',
        'HttpError',
        'KubeClient',
        'PodEngine',
        'RetryTimer',
        'authFromKubeConfig',
        'awsFailure',
        'inClusterAuth',
        'jitter',
        'kubeFailure',
        'lbTypeOfGroups',
        'matchBinding',
        'observationOf',
        'parseRetryAfter',
        'podPath',
        'targetReport',
      ].sort(),
    );
    expect(Object.keys(internal).filter((k) => k in api)).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(here, '../package.json'), 'utf8'));
    expect(Object.keys(pkg.exports)).toEqual(['.', './internal', './package.json']);
    expect(pkg.exports['./internal']).toEqual({ types: './dist/internal.d.ts', default: './dist/internal.js' });
    expect(Object.keys(await import('../dist/internal.js')).sort()).toEqual(Object.keys(internal).sort());
  });

  it('the types of what startSidecar takes and returns are exported with it', () => {
    expectTypeOf(api.startSidecar).parameter(0).toEqualTypeOf<api.StartSidecarOptions>();
    expectTypeOf(api.startSidecar).returns.resolves.toEqualTypeOf<api.Sidecar>();
    expectTypeOf<ReturnType<api.Sidecar['status']>>().toEqualTypeOf<api.SidecarStatusBody>();
    expectTypeOf<Awaited<ReturnType<api.Sidecar['waitPrestop']>>>().toEqualTypeOf<api.PrestopResult>();
    expectTypeOf<api.SidecarStatusBody['targets'][number]>().toEqualTypeOf<api.TargetReport>();
    expectTypeOf<api.StartSidecarOptions['config']>().toEqualTypeOf<api.SidecarConfig>();
    expectTypeOf<NonNullable<api.StartSidecarOptions['logger']>>().toEqualTypeOf<api.Logger>();
  });
});
