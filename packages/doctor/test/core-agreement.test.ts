/**
 * doctor mirrors @draingate/core's defaults, environment variables and duration syntax (it does not depend on
 * core). These tests read core's built package and fail when the two disagree.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, ENV_VARS, parseDuration, resolveConfig } from '../../core/dist/index.js';
import { checkManifests } from '../src/index.js';
import { CORE_DEFAULTS, CORE_ENV_VARS, formatMs, parseCoreDuration } from '../src/internal/draingate-env.js';

const coreMs = (value: string): number | undefined => {
  try {
    return parseDuration(value, 'x');
  } catch {
    return undefined;
  }
};

describe('agreement with @draingate/core', () => {
  it('has the same defaults', () => {
    expect(CORE_DEFAULTS).toEqual({
      gracePeriod: coreMs(DEFAULTS.gracePeriod),
      minDelay: coreMs(DEFAULTS.minDelay),
      maxDelay: coreMs(DEFAULTS.maxDelay),
      drainTimeout: coreMs(DEFAULTS.drainTimeout),
      hooksTimeout: coreMs(DEFAULTS.hooksTimeout),
      lbUnhealthyThreshold: DEFAULTS.lbUnhealthyThreshold,
      lbMargin: coreMs(DEFAULTS.lbMargin),
    });
  });

  it('knows the same DRAINGATE_* variables', () => {
    expect(Object.keys(CORE_ENV_VARS).sort()).toEqual(Object.keys(ENV_VARS).sort());
  });

  it('parses durations exactly as core does', () => {
    const samples = [
      '500ms',
      '10s',
      '1.5m',
      '1h',
      ' 20s ',
      '0s',
      '20',
      '-1s',
      '1d',
      's',
      '',
      '20 s',
      '1e3s',
      '999999h',
      '2147483647ms',
      '2147483648ms',
    ];
    for (const s of samples) expect([s, parseCoreDuration(s)]).toEqual([s, coreMs(s)]);
  });

  it('formats durations as core does in its messages', () => {
    expect([500, 1500, 20_000, 120_000, 90_000].map(formatMs)).toEqual(['500ms', '1.5s', '20s', '2m', '90s']);
  });

  it('reports draingate-config-invalid exactly when core refuses the environment', () => {
    const cases: Record<string, string>[] = [
      {},
      { DRAINGATE_MAX_DELAY: '20' },
      { DRAINGATE_MAX_DELAY: '25s' },
      { DRAINGATE_MAX_DELAY: '120s' },
      { DRAINGATE_MAX_DELAY: '120s', DRAINGATE_GRACE_PERIOD: '150s' },
      { DRAINGATE_MIN_DELAY: '30s' },
      { DRAINGATE_MAXDELAY: '20s' },
      { DRAINGATE_LB_UNHEALTHY_THRESHOLD: 'two' },
      { DRAINGATE_HOOKS_TIMEOUT: '3000' },
      { DRAINGATE_API_SERVICE_HOST: '10.0.0.1' },
    ];
    for (const env of cases) {
      let coreRefuses = false;
      try {
        resolveConfig({ env, logger: false, metrics: false, signals: false, exit: false });
      } catch {
        coreRefuses = true;
      }
      const envYaml = Object.entries({ ...env, PORT: '8080' })
        .map(([name, value]) => `            - { name: ${name}, value: ${JSON.stringify(value)} }`)
        .join('\n');
      const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      terminationGracePeriodSeconds: 3600
      containers:
        - name: api
          image: registry.example/api:1
          env:
${envYaml}
          readinessProbe: { httpGet: { path: /readyz, port: 8080 } }
`;
      const rules = checkManifests(manifest).units.flatMap((u) => u.findings.map((f) => f.rule));
      expect([env, rules.includes('draingate-config-invalid')]).toEqual([env, coreRefuses]);
    }
  });
});
