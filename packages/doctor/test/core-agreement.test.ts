/**
 * doctor takes core's defaults, duration syntax and validation from @draingate/core itself. These tests check the
 * parts doctor still computes on its own against core's real resolveConfig: the values its budget rules use, the
 * budget rule itself, how a manifest's env reaches core, where findings point, and the README's defaults.
 */
import { readFileSync } from 'node:fs';
import { DraingateConfigError } from '@draingate/core';
import { DEFAULTS, formatDuration, parseDuration, resolveConfig } from '@draingate/core/internal';
import { describe, expect, it } from 'vitest';
import { checkManifests, type Finding, parseManifests } from '../src/index.js';
import { buildContext } from '../src/internal/context.js';

/** A Deployment whose app container has this env, with terminationGracePeriodSeconds `tgps`. */
function manifest(env: Record<string, string>, tgps = 3600): string {
  const lines = Object.entries({ ...env, PORT: '8080' })
    .map(([name, value]) => `            - { name: ${name}, value: ${JSON.stringify(value)} }`)
    .join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      terminationGracePeriodSeconds: ${tgps}
      containers:
        - name: api
          image: registry.example/api:1
          env:
${lines}
          readinessProbe: { httpGet: { path: /readyz, port: 8080 } }
`;
}

const findings = (text: string): Finding[] => checkManifests(text).units.flatMap((u) => u.findings);

/** What core does with this env at start-up: its config, or the error it throws. */
function core(env: Record<string, string>): ReturnType<typeof resolveConfig> | DraingateConfigError {
  try {
    return resolveConfig({ env, logger: false, metrics: false, signals: false, exit: false });
  } catch (error) {
    if (error instanceof DraingateConfigError) return error;
    throw error;
  }
}

const CASES: Record<string, string>[] = [
  {},
  { DRAINGATE_MAX_DELAY: '20' },
  { DRAINGATE_MAX_DELAY: '25s' },
  { DRAINGATE_MAX_DELAY: '120s' },
  { DRAINGATE_MAX_DELAY: '120s', DRAINGATE_GRACE_PERIOD: '150s' },
  { DRAINGATE_MAX_DELAY: '2m', DRAINGATE_GRACE_PERIOD: '2.1m', DRAINGATE_HOOKS_TIMEOUT: '500ms' },
  { DRAINGATE_MAX_DELAY: ' 20s ', DRAINGATE_GRACE_PERIOD: '28001ms' },
  { DRAINGATE_GRACE_PERIOD: '28s' },
  { DRAINGATE_GRACE_PERIOD: '' },
  { DRAINGATE_MIN_DELAY: '30s' },
  { DRAINGATE_MIN_DELAY: '3s', DRAINGATE_DELAY: '1s' },
  { DRAINGATE_MAXDELAY: '20s' },
  { DRAINGATE_LB_UNHEALTHY_THRESHOLD: 'two' },
  { DRAINGATE_LB_UNHEALTHY_THRESHOLD: '11' },
  { DRAINGATE_HOOKS_TIMEOUT: '3000' },
  { DRAINGATE_DRAIN_TIMEOUT: '1d' },
  { DRAINGATE_SIDECAR_URL: 'https://127.0.0.1:9901' },
  { DRAINGATE_MANAGEMENT_PORT: 'tcp://10.0.0.11:9000' },
  { DRAINGATE_API_SERVICE_HOST: '10.0.0.1', DRAINGATE_API_PORT: 'tcp://10.0.0.1:80' },
  { DRAINGATE_QUIET_PERIOD: '0s' },
];

describe('agreement with @draingate/core', () => {
  it('reads the same grace period, delays and timeouts as core for every environment core accepts', () => {
    let accepted = 0;
    for (const env of CASES) {
      const config = core(env);
      if (config instanceof DraingateConfigError) continue;
      accepted++;
      const { objects } = parseManifests(manifest(env), 'x.yaml');
      const workload = objects.find((o) => o.kind === 'Deployment');
      if (!workload) throw new Error('no Deployment');
      const dg = buildContext(workload, objects).draingate;
      expect([env, dg && [dg.gracePeriod, dg.minDelay, dg.maxDelay, dg.drainTimeout, dg.hooksTimeout, dg.lbUnhealthyThreshold]]).toEqual([
        env,
        [config.gracePeriod, config.minDelay, config.maxDelay, config.drainTimeout, config.hooksTimeout, config.lbUnhealthyThreshold],
      ]);
    }
    expect(accepted).toBeGreaterThanOrEqual(5);
  });

  it("reports budget-exceeds-grace-period exactly when core refuses the budget, when the pod's deadline is DRAINGATE_GRACE_PERIOD", () => {
    let refused = 0;
    for (const env of CASES) {
      const config = core(env);
      // Only environments core accepts, or refuses for the budget alone (its last check).
      const budgetRefused = config instanceof DraingateConfigError && config.message.includes('shutdown budget does not fit');
      if (config instanceof DraingateConfigError && !budgetRefused) continue;
      if (budgetRefused) refused++;
      const grace = parseDuration(env.DRAINGATE_GRACE_PERIOD || DEFAULTS.gracePeriod, 'gracePeriod');
      if (grace % 1000 !== 0) continue; // terminationGracePeriodSeconds is whole seconds
      const rules = findings(manifest(env, grace / 1000)).map((f) => f.rule);
      expect([env, rules.includes('budget-exceeds-grace-period')]).toEqual([env, budgetRefused]);
    }
    expect(refused).toBeGreaterThanOrEqual(2);
  });

  it("reports draingate-config-invalid exactly when core refuses the environment, with core's own message", () => {
    for (const env of CASES) {
      const config = core(env);
      const found = findings(manifest(env)).filter((f) => f.rule === 'draingate-config-invalid');
      const expected = config instanceof DraingateConfigError ? [`core refuses to start (DraingateConfigError): ${config.message}`] : [];
      expect([env, found.map((f) => f.message)]).toEqual([env, expected]);
    }
  });

  it('points draingate-config-invalid at the variable core names, and says when that variable is not set', () => {
    const field = (env: Record<string, string>) =>
      findings(manifest(env)).find((f) => f.rule === 'draingate-config-invalid')?.field ?? null;
    const app = 'spec.template.spec.containers[name=api]';
    expect(field({ DRAINGATE_MAXDELAY: '20s' })).toBe(`${app}.env[name=DRAINGATE_MAXDELAY]`);
    expect(field({ DRAINGATE_LB_UNHEALTHY_THRESHOLD: 'two' })).toBe(`${app}.env[name=DRAINGATE_LB_UNHEALTHY_THRESHOLD]`);
    expect(field({ DRAINGATE_MIN_DELAY: '30s' })).toBe(`${app}.env[name=DRAINGATE_MIN_DELAY]`);
    expect(field({ DRAINGATE_MAX_DELAY: '120s' })).toBe(`${app}.env[name=DRAINGATE_GRACE_PERIOD] (not set)`);
    expect(field({ DRAINGATE_MAX_DELAY: '120s', DRAINGATE_GRACE_PERIOD: '' })).toBe(`${app}.env[name=DRAINGATE_GRACE_PERIOD] (not set)`);
    expect(field({ DRAINGATE_MAX_DELAY: '120s', DRAINGATE_GRACE_PERIOD: '60s' })).toBe(`${app}.env[name=DRAINGATE_GRACE_PERIOD]`);
  });

  it("judges the manifest's environment, never the machine's", () => {
    const before = { ...process.env };
    const stderr = process.stderr.write;
    const written: unknown[] = [];
    process.env.DRAINGATE_MAXDELAY = 'bogus';
    process.stderr.write = ((chunk: unknown) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      expect(findings(manifest({})).filter((f) => f.rule === 'draingate-config-invalid')).toEqual([]);
      expect(findings(manifest({ DRAINGATE_MAX_DELAY: '20' })).map((f) => f.rule)).toContain('draingate-config-invalid');
    } finally {
      process.stderr.write = stderr;
      delete process.env.DRAINGATE_MAXDELAY;
    }
    expect(written).toEqual([]);
    expect(process.env).toEqual(before);
  });

  it("states core's defaults in the README as core has them", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const ms = (d: string) => formatDuration(parseDuration(d, 'x'));
    expect(readme).toContain(
      `\`@draingate/core\` (grace period ${ms(DEFAULTS.gracePeriod)}, maxDelay ${ms(DEFAULTS.maxDelay)},\ndrainTimeout ${ms(DEFAULTS.drainTimeout)}, hooksTimeout ${ms(DEFAULTS.hooksTimeout)}, LB unhealthy threshold ${DEFAULTS.lbUnhealthyThreshold})`,
    );
  });
});
