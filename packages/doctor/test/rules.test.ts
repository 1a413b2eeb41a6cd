/** Every rule has a failing and a passing fixture (test/fixtures/rules/<rule>.{fail,pass}.yaml). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkManifests, RULES } from '../src/index.js';

const dir = join(import.meta.dirname, 'fixtures/rules');
// The invalid-YAML fixture is a .txt file: biome formats .yaml files and refuses invalid ones.
const file = (id: string, kind: 'fail' | 'pass') => `${id}.${kind}.${id === 'yaml-invalid' && kind === 'fail' ? 'txt' : 'yaml'}`;
const run = (name: string) => {
  const report = checkManifests(readFileSync(join(dir, name), 'utf8'), `rules/${name}`);
  return report.units.flatMap((u) => u.findings);
};

describe('rule fixtures', () => {
  it('exist as a fail/pass pair for every rule, and for nothing else', () => {
    const files = readdirSync(dir).sort();
    const expected = RULES.flatMap((r) => [file(r.id, 'fail'), file(r.id, 'pass')]).sort();
    expect(files).toEqual(expected);
  });

  for (const rule of RULES) {
    describe(rule.id, () => {
      it('reports the failing fixture, and nothing else', () => {
        const findings = run(file(rule.id, 'fail'));
        expect(findings.map((f) => f.rule)).toEqual([rule.id]);
        const [f] = findings;
        expect(f?.severity).toBe(rule.severity);
        expect(f?.message.length).toBeGreaterThan(20);
        expect(f?.why).toBe(rule.why);
        expect(f?.fix).toBe(rule.fix);
        expect(f?.object.file).toBe(`rules/${file(rule.id, 'fail')}`);
        expect(f?.object.line).toBeGreaterThan(0);
      });

      it('finds nothing in the passing fixture', () => {
        expect(run(file(rule.id, 'pass'))).toEqual([]);
      });
    });
  }
});

describe('where findings point', () => {
  it('names the object and field to change, with the line it starts on', () => {
    const [f] = run('namespace-label-missing.fail.yaml');
    expect(f?.object).toMatchObject({ kind: 'Namespace', name: 'shop', line: 2 });
    expect(f?.field).toBe('metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"]');
    expect(f?.workload).toMatchObject({ kind: 'Deployment', name: 'api', namespace: 'shop' });
  });

  it('points the health-check path at the Service when the Service annotation wins over the Ingress', () => {
    const text = readFileSync(join(dir, 'probe-path-mismatch.pass.yaml'), 'utf8').replace(
      'alb.ingress.kubernetes.io/healthcheck-path: /readyz',
      'alb.ingress.kubernetes.io/healthcheck-path: /healthz',
    );
    const findings = checkManifests(text).units.flatMap((u) => u.findings);
    expect(findings.map((f) => [f.rule, f.object.kind])).toEqual([['probe-path-mismatch', 'Service']]);
    expect(findings[0]?.message).toContain('checks /healthz but the readinessProbe checks /readyz');
  });

  it('reports the milder case of a rule at its lower severity', () => {
    const ns = readFileSync(join(dir, 'namespace-label-missing.pass.yaml'), 'utf8').split('---\n').slice(1).join('---\n');
    const findings = checkManifests(ns).units.flatMap((u) => u.findings);
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['namespace-label-missing', 'info']]);

    const higher = readFileSync(join(dir, 'unhealthy-threshold-mismatch.pass.yaml'), 'utf8').replace(
      'unhealthy-threshold-count: "3"',
      'unhealthy-threshold-count: "2"',
    );
    const f2 = checkManifests(higher).units.flatMap((u) => u.findings);
    expect(f2.map((f) => [f.rule, f.severity])).toEqual([['unhealthy-threshold-mismatch', 'warning']]);
  });

  it('checks an NLB Service: a TCP health check (the default) cannot see /readyz', () => {
    const kit = readFileSync(join(import.meta.dirname, '../../../examples/k8s/rendered/nlb-ip.yaml'), 'utf8');
    const tcp = kit.replace('    service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol: http\n', '');
    expect(tcp).not.toBe(kit);
    const findings = checkManifests(tcp).units.flatMap((u) => u.findings);
    expect(findings.map((f) => [f.rule, f.object.kind, f.field])).toEqual([
      [
        'probe-path-mismatch',
        'Service',
        'metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol"] (not set)',
      ],
    ]);
    expect(findings[0]?.message).toContain('TCP health check');
  });
});
