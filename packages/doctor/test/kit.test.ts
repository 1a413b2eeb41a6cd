/** examples/k8s: every overlay passes doctor, the rendered files match the overlays, and a broken copy fails as intended. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveConfig } from '@draingate/core/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { checkManifests, checkPaths, parseManifests, renderKustomization } from '../src/index.js';
import { buildContext, declaredGates } from '../src/internal/context.js';
import { envOf } from '../src/internal/pod.js';
import { routingWindowMs } from '../src/internal/routing-window.js';

const root = resolve(import.meta.dirname, '../../..');
const kit = join(root, 'examples/k8s');
const OVERLAYS = ['alb-instance', 'alb-ip', 'nlb-ip'];
const EXPECTED_LB: Record<string, [string, string]> = {
  'alb-instance': ['alb', 'instance'],
  'alb-ip': ['alb', 'ip'],
  'nlb-ip': ['nlb', 'ip'],
};
const tmp = mkdtempSync(join(tmpdir(), 'doctor-kit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('examples/k8s', () => {
  for (const name of OVERLAYS) {
    it(`overlays/${name} has no findings at all`, () => {
      const report = checkPaths([join(kit, 'overlays', name)], { cwd: root });
      expect(report.units.map((u) => u.label)).toEqual([`kustomization examples/k8s/overlays/${name}`]);
      expect(report.summary).toEqual({ errors: 0, warnings: 0, infos: 0, workloads: 1 });
    });

    it(`rendered/${name}.yaml has no findings at all`, () => {
      const report = checkManifests(readFileSync(join(kit, 'rendered', `${name}.yaml`), 'utf8'), `${name}.yaml`);
      expect(report.summary).toEqual({ errors: 0, warnings: 0, infos: 0, workloads: 1 });
    });

    it(`overlays/${name}: the app's DRAINGATE_* environment is accepted by @draingate/core itself`, () => {
      const { objects } = renderKustomization(join(kit, 'overlays', name), root);
      const deployment = objects.find((o) => o.kind === 'Deployment');
      if (!deployment) throw new Error('no Deployment in the overlay');
      const pod = (
        deployment.raw.spec as { template: { spec: { containers: Record<string, unknown>[]; terminationGracePeriodSeconds: number } } }
      ).template.spec;
      const app = pod.containers.find((c) => c.name === 'app') as Record<string, unknown>;
      const { env } = envOf(app);
      const config = resolveConfig({ env, logger: false, metrics: false, signals: false, exit: false });
      // The grace period core budgets against is the pod's real deadline.
      expect(config.gracePeriod).toBe(pod.terminationGracePeriodSeconds * 1000);
      expect(config.maxDelay + config.drainTimeout + config.hooksTimeout).toBeLessThan(config.gracePeriod);
      // Instance targets are nodes: the sidecar has no target of its own there, so only the ip overlays run it.
      expect(config.sidecarUrl).toBe(name === 'alb-instance' ? null : 'http://127.0.0.1:9901');
    });

    it(`overlays/${name}: the timings follow LB_TYPES (maxDelay covers lag + bound, the LB keeps what the pod may still serve)`, () => {
      const { objects } = renderKustomization(join(kit, 'overlays', name), root);
      const deployment = objects.find((o) => o.kind === 'Deployment');
      if (!deployment) throw new Error('no Deployment in the overlay');
      const ctx = buildContext(deployment, objects);
      const [lb, ...more] = ctx.loadBalancers;
      const dg = ctx.draingate;
      if (!lb || !dg) throw new Error('no load balancer or no draingate settings');
      expect(more).toEqual([]);
      expect([lb.type, lb.targetType]).toEqual(EXPECTED_LB[name]);
      if (lb.targetType === 'ip') {
        // The arithmetic the YAML comments show: 10 s + 30 s = 40 s ≤ 50 s (ALB), 10 s + 150 s = 160 s ≤ 170 s (NLB).
        expect(dg.maxDelay).toBeGreaterThanOrEqual(routingWindowMs(lb.type));
        expect(dg.maxDelay - routingWindowMs(lb.type)).toBeLessThanOrEqual(10_000);
      }
      expect(lb.deregistrationDelaySeconds * 1000).toBeGreaterThanOrEqual(dg.maxDelay + dg.drainTimeout);
      if (lb.type === 'nlb') {
        expect(lb.attributes['target_health_state.unhealthy.connection_termination.enabled']).toBe('false');
        expect(Number(lb.attributes['target_health_state.unhealthy.draining_interval_seconds']) * 1000).toBeGreaterThanOrEqual(
          dg.maxDelay + dg.drainTimeout,
        );
      }
    });
  }

  it('no overlay declares a readiness gate of its own: the controller injects its gate for ip targets, instance targets take none', () => {
    for (const name of OVERLAYS) {
      const { objects } = renderKustomization(join(kit, 'overlays', name), root);
      const deployment = objects.find((o) => o.kind === 'Deployment');
      if (!deployment) throw new Error('no Deployment in the overlay');
      const ctx = buildContext(deployment, objects);
      expect([name, declaredGates(ctx)]).toEqual([name, []]);
      expect([name, ctx.namespaceObject?.labels['elbv2.k8s.aws/pod-readiness-gate-inject']]).toEqual([name, 'enabled']);
    }
  });

  it('the app container gets no Kubernetes token; in the ip overlays the sidecar mounts one of its own', () => {
    for (const name of OVERLAYS) {
      const { objects } = renderKustomization(join(kit, 'overlays', name), root);
      const deployment = objects.find((o) => o.kind === 'Deployment');
      if (!deployment) throw new Error('no Deployment in the overlay');
      const ctx = buildContext(deployment, objects);
      expect(ctx.pod.automountServiceAccountToken).toBe(false);
      const mounts = (c: { spec: Record<string, unknown> } | null | undefined) =>
        ((c?.spec.volumeMounts ?? []) as { mountPath: string }[]).map((m) => m.mountPath);
      expect(mounts(ctx.app)).toEqual([]);
      expect(mounts(ctx.sidecar?.container)).toEqual(name === 'alb-instance' ? [] : ['/var/run/secrets/kubernetes.io/serviceaccount']);
    }
  });

  it('a copy of the old overlays/alb-instance (draingate.io/lb-ready behind instance targets) is flagged with the deadlock', () => {
    const report = checkPaths([join(import.meta.dirname, 'fixtures/old-kit/overlays/alb-instance')], { cwd: root });
    const errors = report.units.flatMap((u) => u.findings).filter((f) => f.severity === 'error');
    expect(errors.map((f) => [f.rule, f.object.kind, f.field])).toEqual([
      ['instance-mode-gate-deadlock', 'Deployment', 'spec.template.spec.readinessGates'],
    ]);
    expect(errors[0]?.message).toContain('the pods declare draingate.io/lb-ready: deadlock');
    expect(errors[0]?.message).toContain('a fresh install never becomes Ready, a rollout stalls at its first new pod');
  });

  it('the rendered files are exactly what render-kit.mjs writes from the overlays', () => {
    const result = spawnSync(process.execPath, [join(root, 'packages/doctor/scripts/render-kit.mjs'), '--check'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('each rendered file holds the same objects, in the same order, as its overlay', () => {
    for (const name of OVERLAYS) {
      const rendered = parseManifests(readFileSync(join(kit, 'rendered', `${name}.yaml`), 'utf8'), `${name}.yaml`);
      const { objects } = renderKustomization(join(kit, 'overlays', name), root);
      expect(rendered.problems).toEqual([]);
      expect(rendered.objects.map((o) => o.raw)).toEqual(objects.map((o) => o.raw));
      expect(objects.map((o) => o.kind)).toEqual([
        'Namespace',
        'ServiceAccount',
        'Deployment',
        'Service',
        'PodDisruptionBudget',
        'NetworkPolicy',
        ...(name === 'alb-instance' ? [] : ['Role', 'RoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']),
        ...(name.startsWith('alb') ? ['Ingress'] : []),
      ]);
    }
  });

  it('the overlays differ where they should', () => {
    const text = (name: string) => readFileSync(join(kit, 'rendered', `${name}.yaml`), 'utf8');
    expect(text('alb-ip')).toContain('alb.ingress.kubernetes.io/target-type: ip');
    expect(text('alb-instance')).toContain('alb.ingress.kubernetes.io/target-type: instance');
    expect(text('alb-instance')).toContain('type: NodePort');
    expect(text('alb-instance')).not.toContain('draingate-sidecar');
    expect(text('alb-ip')).toContain('name: draingate-sidecar');
    expect(text('alb-ip')).toContain('terminationGracePeriodSeconds: 60');
    expect(text('alb-ip')).toMatch(/name: DRAINGATE_MAX_DELAY\n\s+value: 50s/);
    expect(text('nlb-ip')).toContain('type: LoadBalancer');
    expect(text('nlb-ip')).toContain('terminationGracePeriodSeconds: 180');
    expect(text('nlb-ip')).toMatch(/name: DRAINGATE_MAX_DELAY\n\s+value: 170s/);
    expect(text('nlb-ip')).toMatch(/name: DRAINGATE_GRACE_PERIOD\n\s+value: 180s/);
  });

  it('a broken copy of the ALB overlay (grace period too short, namespace label missing, probe path mismatch) yields exactly those three errors', () => {
    const good = readFileSync(join(kit, 'rendered/alb-ip.yaml'), 'utf8');
    const broken = good
      .replace('terminationGracePeriodSeconds: 60', 'terminationGracePeriodSeconds: 50')
      .replace('    elbv2.k8s.aws/pod-readiness-gate-inject: enabled\n', '')
      .replace('alb.ingress.kubernetes.io/healthcheck-path: /readyz', 'alb.ingress.kubernetes.io/healthcheck-path: /healthz');
    const file = join(tmp, 'alb-ip-broken.yaml');
    writeFileSync(file, broken);
    const report = checkPaths([file], { cwd: tmp });
    const findings = report.units.flatMap((u) => u.findings);
    expect(findings.map((f) => `${f.severity} ${f.rule}`).sort()).toEqual(
      ['error budget-exceeds-grace-period', 'error namespace-label-missing', 'error probe-path-mismatch'].sort(),
    );
    expect(report.summary).toMatchObject({ errors: 3, warnings: 0, infos: 0 });
    // And the CLI exits 1 on it.
    const cli = spawnSync(process.execPath, [join(root, 'packages/doctor/dist/cli.js'), 'doctor', file], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain('3 errors');
  });

  it('iam-policy.json grants exactly the read-only ELBv2 calls the aws source makes', () => {
    const policy = JSON.parse(readFileSync(join(kit, 'iam-policy.json'), 'utf8')) as { Statement: { Effect: string; Action: string[] }[] };
    // The calls, read from the sidecar's source: every ELBv2 SDK command it sends (least privilege: no more).
    const src = join(root, 'packages/sidecar/src/internal');
    const commands = new Set<string>();
    for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
      for (const m of readFileSync(join(src, f), 'utf8').matchAll(/new (\w+)Command\(/g)) commands.add(`elasticloadbalancing:${m[1]}`);
    }
    expect([...commands]).toContain('elasticloadbalancing:DescribeTargetHealth');
    expect(policy.Statement.flatMap((s) => s.Action).sort()).toEqual([...commands].sort());
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('the doctor CLI passes on the whole kit directory: each kustomization and each rendered file checked on its own', () => {
    const out = execFileSync(process.execPath, [join(root, 'packages/doctor/dist/cli.js'), 'doctor', '--format', 'json', 'examples/k8s'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const json = JSON.parse(out) as {
      ok: boolean;
      summary: { errors: number; warnings: number; workloads: number };
      units: { label: string }[];
      findings: { rule: string; unit: string }[];
    };
    expect(json.ok).toBe(true);
    expect(json.summary).toMatchObject({ errors: 0, warnings: 0, workloads: 8 });
    expect(json.units.map((u) => u.label)).toEqual([
      'file examples/k8s/rendered/alb-instance.yaml',
      'file examples/k8s/rendered/alb-ip.yaml',
      'file examples/k8s/rendered/nlb-ip.yaml',
      'kustomization examples/k8s/base',
      'kustomization examples/k8s/overlays/alb-instance',
      'kustomization examples/k8s/overlays/alb-ip',
      'kustomization examples/k8s/overlays/nlb-ip',
      'kustomization examples/k8s/sidecar',
    ]);
    // The base and the sidecar layer alone have no load balancer: the only findings are that note.
    expect(json.findings.map((f) => `${f.unit}: ${f.rule}`)).toEqual([
      'kustomization examples/k8s/base: no-load-balancer',
      'kustomization examples/k8s/sidecar: no-load-balancer',
    ]);
  });
});
