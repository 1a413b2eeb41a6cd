/**
 * Every rule is one module (src/internal/rules/<rule>.ts) with a failing and a passing fixture
 * (test/fixtures/rules/<rule>.{fail,pass}.yaml).
 */
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

describe('rule modules', () => {
  it('each rule is one module, src/internal/rules/<id>.ts, that defines it (and the registry lists it)', async () => {
    const modules = readdirSync(join(import.meta.dirname, '../src/internal/rules'))
      .filter((f) => f !== 'index.ts')
      .sort();
    expect(modules).toEqual(RULES.map((r) => `${r.id}.ts`).sort());
    for (const name of modules) {
      const exported = Object.values(await import(`../src/internal/rules/${name.replace(/\.ts$/, '.js')}`)) as { id: string }[];
      expect(exported.map((r) => r.id)).toEqual([name.replace(/\.ts$/, '')]);
    }
  });
});

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
    // The pods declare draingate's gate: a pod without the controller's gate may never be registered (a warning).
    const findings = checkManifests(ns).units.flatMap((u) => u.findings);
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['namespace-label-missing', 'warning']]);
    expect(findings[0]?.message).toContain('The pods declare draingate.io/lb-ready: without the controller');
    const gate = '      readinessGates:\n        - conditionType: draingate.io/lb-ready\n';
    expect(ns).toContain(gate);
    const noGate = checkManifests(ns.replace(gate, '')).units.flatMap((u) => u.findings);
    expect(noGate.map((f) => [f.rule, f.severity])).toEqual([['namespace-label-missing', 'info']]);

    const higher = readFileSync(join(dir, 'unhealthy-threshold-mismatch.pass.yaml'), 'utf8').replace(
      'unhealthy-threshold-count: "3"',
      'unhealthy-threshold-count: "2"',
    );
    const f2 = checkManifests(higher).units.flatMap((u) => u.findings);
    expect(f2.map((f) => [f.rule, f.severity])).toEqual([['unhealthy-threshold-mismatch', 'warning']]);
  });

  describe('sidecar-config-invalid, case by case (the settings of packages/sidecar)', () => {
    const good = readFileSync(join(dir, 'sidecar-config-invalid.pass.yaml'), 'utf8');
    const check = (text: string) =>
      checkManifests(text)
        .units.flatMap((u) => u.findings)
        .map((f) => `${f.rule} ${f.severity}: ${f.message}`);
    const edit = (from: string, to: string) => {
      expect(good).toContain(from);
      return check(good.replace(from, to));
    };

    it('missing downward-API identity', () => {
      expect(edit('            - { name: POD_UID, valueFrom: { fieldRef: { fieldPath: metadata.uid } } }\n', '')).toEqual([
        'sidecar-config-invalid error: POD_UID is not set: the sidecar needs it from the downward API (fieldRef) and refuses to start.',
      ]);
    });

    it("aws: a target type other than the load balancer's", () => {
      const [f] = edit('args: [--source, aws]', 'args: [--source, aws, --target-type, instance, --instance-id, i-0123456789abcdef0]');
      expect(f).toMatch(/^sidecar-config-invalid error: the sidecar looks for instance targets .* but Ingress api registers ip targets/);
    });

    it('aws: no region is a warning (an IRSA webhook may inject it)', () => {
      expect(edit('            - { name: AWS_REGION, value: eu-west-1 }\n', '')).toEqual([
        expect.stringMatching(/^sidecar-config-invalid warning: AWS_REGION is not set/),
      ]);
    });

    it("app: no status URL, and a healthy threshold below the ALB's", () => {
      expect(edit('args: [--source, aws]', 'args: [--source, app, --healthy-threshold, "1"]')).toEqual([
        expect.stringMatching(/^sidecar-config-invalid error: the app source needs --app-status-url .*http:\/\/127\.0\.0\.1:9000\/status/),
        'sidecar-config-invalid error: the sidecar counts 1 passing health checks (--healthy-threshold) but the ALB needs 2: the gate turns True before the LB routes to the pod.',
      ]);
    });

    it('app: a status URL on another port than the management port', () => {
      expect(
        edit('args: [--source, aws]', 'args: [--source=app, --app-status-url=http://127.0.0.1:9090/status, --healthy-threshold=2]'),
      ).toEqual([
        "sidecar-config-invalid error: --app-status-url http://127.0.0.1:9090/status does not use the app's management port DRAINGATE_MANAGEMENT_PORT=9000.",
      ]);
    });

    it('DRAINGATE_SIDECAR_URL on another port than the sidecar listens on', () => {
      expect(edit('args: [--source, aws]', 'args: [--source, aws, --listen, "127.0.0.1:9911"]')).toEqual([
        'sidecar-config-invalid error: DRAINGATE_SIDECAR_URL is http://127.0.0.1:9901, but the sidecar listens on 127.0.0.1:9911: core never hears from it.',
      ]);
    });

    it('a readinessProbe on the sidecar is a warning', () => {
      expect(
        edit(
          '          restartPolicy: Always\n',
          '          restartPolicy: Always\n          readinessProbe: { httpGet: { path: /livez, port: 9901 } }\n',
        ),
      ).toEqual([expect.stringMatching(/^sidecar-config-invalid warning: the sidecar has a readinessProbe/)]);
    });

    it('env settings count like flags, and a custom condition type must be the declared gate', () => {
      const text = good
        .replace('          args: [--source, aws]\n', '')
        .replace(
          '            - { name: AWS_REGION, value: eu-west-1 }\n',
          '            - { name: AWS_REGION, value: eu-west-1 }\n            - { name: DRAINGATE_SOURCE, value: aws }\n            - { name: DRAINGATE_CONDITION_TYPE, value: example.com/lb }\n',
        );
      expect(check(text)).toEqual([
        'readiness-gate-without-sidecar error: draingate.io/lb-ready is declared but the draingate sidecar writes example.com/lb (--condition-type): nobody sets the declared gate.',
      ]);
    });
  });

  describe("preStop on the sidecar's /v1/prestop (a bare Pod)", () => {
    const pod = readFileSync(join(import.meta.dirname, 'fixtures/sidecar-prestop-pod.yaml'), 'utf8');
    const check = (text: string) =>
      checkManifests(text)
        .units.flatMap((u) => u.findings)
        .map((f) => `${f.rule} ${f.severity} ${f.field}`);

    it('passes as written (only the missing load balancer is noted)', () => {
      expect(check(pod)).toEqual(['no-load-balancer info null']);
    });

    it('a sidecar on loopback cannot answer the kubelet', () => {
      expect(check(pod.replace('--listen=0.0.0.0:9901, ', ''))).toEqual([
        'no-load-balancer info null',
        'sidecar-config-invalid error spec.containers[name=app].lifecycle.preStop.httpGet',
      ]);
    });

    it('an app drain budget shorter than what the app needs after SIGTERM', () => {
      expect(check(pod.replace('--app-drain-budget=15s', '--app-drain-budget=5s'))).toEqual([
        'no-load-balancer info null',
        'budget-exceeds-grace-period error spec.initContainers[name=draingate-sidecar].args',
      ]);
    });
  });

  it('sidecar-rbac-missing: nodes (instance mode) count only through a ClusterRoleBinding', () => {
    const good = readFileSync(join(dir, 'sidecar-rbac-missing.pass.yaml'), 'utf8')
      .replace('target-type: ip', 'target-type: instance')
      .replace('args: [--source, aws]', 'args: [--source, aws, --target-type, instance]')
      .replace('    resources: [services]\n    verbs: [get]', '    resources: [services, nodes]\n    verbs: [get]');
    const rbac = (text: string) =>
      checkManifests(text)
        .units.flatMap((u) => u.findings)
        .filter((f) => f.rule === 'sidecar-rbac-missing')
        .map((f) => f.message);
    // The pass fixture binds a ClusterRole through a RoleBinding: nodes are not granted by that.
    expect(rbac(good)).toEqual(['ServiceAccount api is not granted (by a Role/ClusterRole bound in the input): get nodes.']);
    const cluster = good.replace(
      'kind: RoleBinding\nmetadata:\n  name: draingate\n  namespace: shop\n',
      'kind: ClusterRoleBinding\nmetadata:\n  name: draingate\n',
    );
    expect(rbac(cluster)).toEqual([]);
  });

  describe('prestop-reachable: which NetworkPolicies leave /prestop open to the cluster', () => {
    const good = readFileSync(join(dir, 'prestop-reachable.pass.yaml'), 'utf8');
    const rule = '  ingress:\n    - ports:\n        - { port: http, protocol: TCP }\n';
    const found = (text: string) =>
      checkManifests(text)
        .units.flatMap((u) => u.findings)
        .map((f) => `${f.rule} ${f.object.kind} ${f.field}: ${f.message}`);
    const withIngress = (ingress: string) => {
      expect(good).toContain(rule);
      return found(good.replace(rule, ingress));
    };

    it('no NetworkPolicy at all', () => {
      const policy = good.slice(good.lastIndexOf('---\n'));
      expect(policy).toContain('kind: NetworkPolicy');
      expect(found(good.replace(policy, ''))).toEqual([
        'prestop-reachable Deployment spec.template.spec.containers[name=api].env[name=DRAINGATE_MANAGEMENT_PORT]: /prestop on the management port 9000 (DRAINGATE_MANAGEMENT_PORT) is reachable from every pod in the cluster: no NetworkPolicy in the input selects these pods. Any pod can drain this pod with one GET.',
      ]);
    });

    it('a rule without ports admits every port, and one without `from` every source', () => {
      expect(withIngress('  ingress:\n    - {}\n')).toEqual([
        expect.stringMatching(/^prestop-reachable NetworkPolicy spec\.ingress\[0\]: .* NetworkPolicy api admits it from every source\./),
      ]);
    });

    it('the port by number, from 0.0.0.0/0', () => {
      expect(withIngress('  ingress:\n    - from: [{ ipBlock: { cidr: 0.0.0.0/0 } }]\n      ports: [{ port: 9000 }]\n')).toEqual([
        expect.stringMatching(/admits it from ipBlock 0\.0\.0\.0\/0\./),
      ]);
    });

    it('narrower sources (one namespace, a VPC range) and other ports are not cluster-wide', () => {
      expect(
        withIngress(
          '  ingress:\n    - ports: [{ port: http }]\n    - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: monitoring } } }]\n      ports: [{ port: mgmt }]\n    - from: [{ ipBlock: { cidr: 10.0.0.0/16 } }]\n      ports: [{ port: 9000, endPort: 9001 }]\n',
        ),
      ).toEqual([]);
    });

    it('an egress-only policy does not isolate ingress', () => {
      const egress = good.replace('  policyTypes: [Ingress]\n', '  policyTypes: [Egress]\n');
      expect(egress).not.toBe(good);
      expect(found(egress)).toEqual([expect.stringMatching(/no NetworkPolicy selecting these pods isolates their ingress/)]);
    });

    it("the sidecar's /v1/prestop when it listens beyond loopback", () => {
      const text = good
        .replace('args: [--source, aws]', 'args: [--source, aws, "--listen=0.0.0.0:9901"]')
        .replace(rule, '  ingress:\n    - {}\n');
      expect(found(text).map((f) => f.split(':')[0])).toEqual([
        'prestop-reachable NetworkPolicy spec.ingress[0]',
        'prestop-reachable NetworkPolicy spec.ingress[0]',
      ]);
      expect(found(text)[1]).toContain("the sidecar's /v1/prestop on port 9901 (--listen 0.0.0.0:9901)");
    });
  });

  describe('sidecar-rbac-missing: the sidecar may bring its own token', () => {
    const good = readFileSync(join(dir, 'sidecar-rbac-missing.pass.yaml'), 'utf8');
    const rbac = (text: string) =>
      checkManifests(text)
        .units.flatMap((u) => u.findings)
        .map((f) => `${f.rule}: ${f.message}`);
    const noAutomount = good.replace(
      '      serviceAccountName: api\n',
      '      serviceAccountName: api\n      automountServiceAccountToken: false\n',
    );
    const mount =
      '          volumeMounts:\n            - { name: token, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: true }\n      containers:\n';
    const volume =
      '      volumes:\n        - name: token\n          projected:\n            sources:\n              - serviceAccountToken: { path: token }\n              - configMap: { name: kube-root-ca.crt, items: [{ key: ca.crt, path: ca.crt }] }\n';

    it('automountServiceAccountToken: false and no token of its own: no credentials', () => {
      expect(noAutomount).not.toBe(good);
      expect(rbac(noAutomount)).toEqual([
        expect.stringMatching(
          /^sidecar-rbac-missing: automountServiceAccountToken is false and the sidecar mounts no projected serviceAccountToken/,
        ),
      ]);
    });

    it('a projected serviceAccountToken mounted into the sidecar at the service-account path is enough', () => {
      const own = noAutomount
        .replace('      containers:\n', mount)
        .replace('---\napiVersion: v1\nkind: Service\n', `${volume}---\napiVersion: v1\nkind: Service\n`);
      expect(own).toContain('serviceAccountToken: { path: token }');
      expect(rbac(own)).toEqual([]);
      // The same volume without a token source (a CA alone) is not.
      expect(rbac(own.replace('              - serviceAccountToken: { path: token }\n', ''))).toHaveLength(1);
    });
  });

  it('max-delay-too-short counts with the load balancer type: an NLB needs 10 s + 150 s, instance targets nothing', () => {
    const nlb = readFileSync(join(dir, 'nlb-unhealthy-connection-termination.pass.yaml'), 'utf8');
    const short = checkManifests(nlb.replace('{ name: DRAINGATE_MAX_DELAY, value: 170s }', '{ name: DRAINGATE_MAX_DELAY, value: 120s }'))
      .units.flatMap((u) => u.findings)
      .map((f) => [f.rule, f.message]);
    expect(short).toEqual([
      [
        'max-delay-too-short',
        "DRAINGATE_MAX_DELAY 2m is shorter than the time the NLB (Service api) may still send new requests after the pod's deletion: controller lag 10s (assumed) + NLB propagation bound 150s = 160s. When no evidence ends draining sooner, the app stops while the load balancer still routes here.",
      ],
    ]);
    const instance = readFileSync(join(dir, 'instance-mode-gate-deadlock.pass.yaml'), 'utf8').replace(
      '{ name: DRAINGATE_MAX_DELAY, value: 50s }',
      '{ name: DRAINGATE_MAX_DELAY, value: 10s }',
    );
    expect(checkManifests(instance).units.flatMap((u) => u.findings)).toEqual([]);
  });

  it('lb-type-mismatch: auto is enough when the sidecar tells the app the type, not without a sidecar', () => {
    const withSidecar = readFileSync(join(dir, 'nlb-unhealthy-connection-termination.pass.yaml'), 'utf8');
    expect(withSidecar).not.toContain('DRAINGATE_LB_TYPE');
    expect(checkManifests(withSidecar).units.flatMap((u) => u.findings)).toEqual([]);
    const noSidecarUrl = withSidecar.replace('            - { name: DRAINGATE_SIDECAR_URL, value: "http://127.0.0.1:9901" }\n', '');
    expect(noSidecarUrl).not.toBe(withSidecar);
    const findings = checkManifests(noSidecarUrl).units.flatMap((u) => u.findings);
    expect(findings.map((f) => [f.rule, f.field])).toContainEqual([
      'lb-type-mismatch',
      'spec.template.spec.containers[name=api].env[name=DRAINGATE_LB_TYPE] (not set: auto)',
    ]);
    expect(findings.find((f) => f.rule === 'lb-type-mismatch')?.message).toContain('no sidecar tells the app the type');
  });

  it('nlb-unhealthy-connection-termination: a draining interval shorter than the pod may serve', () => {
    const nlb = readFileSync(join(dir, 'nlb-unhealthy-connection-termination.pass.yaml'), 'utf8');
    const short = nlb.replace('draining_interval_seconds=180', 'draining_interval_seconds=60');
    expect(short).not.toBe(nlb);
    expect(
      checkManifests(short)
        .units.flatMap((u) => u.findings)
        .map((f) => f.message),
    ).toEqual([
      'the NLB (Service api) keeps the connections of an unhealthy target for target_health_state.unhealthy.draining_interval_seconds=60 s, but the pod may serve for 175s after draining starts (DRAINGATE_MAX_DELAY 170s + DRAINGATE_DRAIN_TIMEOUT 5s; terminationGracePeriodSeconds 180).',
    ]);
  });

  it("instance-mode-gate-deadlock: the controller's own gate declared by hand behind instance targets deadlocks too", () => {
    const pass = readFileSync(join(dir, 'instance-mode-gate-deadlock.pass.yaml'), 'utf8');
    const text = pass.replace(
      '      serviceAccountName: api\n',
      '      serviceAccountName: api\n      readinessGates:\n        - conditionType: target-health.elbv2.k8s.aws/k8s-shop-api-0123456789\n',
    );
    expect(text).not.toBe(pass);
    const findings = checkManifests(text).units.flatMap((u) => u.findings);
    expect(findings.map((f) => [f.rule, f.field])).toEqual([['instance-mode-gate-deadlock', 'spec.template.spec.readinessGates']]);
    expect(findings[0]?.message).toContain('the pods declare target-health.elbv2.k8s.aws/k8s-shop-api-0123456789: deadlock');
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
