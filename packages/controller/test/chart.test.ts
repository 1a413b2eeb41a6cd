import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGate } from '@draingate/core';
import { TEST_CREDENTIALS } from '@draingate/testkit/elbv2';
import { dryRunApply } from '@draingate/testkit/k8s';
import { CoreV1Api, KubernetesObjectApi, type V1ClusterRole, type V1Deployment } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CONTROLLER_SETTINGS, resolveControllerConfig } from '../src/internal/config.js';
import { type Controller, startController } from '../src/internal/controller.js';
import { condition, GATE, readPod, serviceAndBinding, useCluster, waitFor } from './helpers/cluster.js';
import { createPods, memoryLogger, podIp, TG1 } from './helpers/controllers.js';
import { CHART, helm } from './helpers/helm.js';

// The Helm chart: helm lint and template (Helm built from its Go module), the rendered objects accepted by a
// server-side dry-run on the real kube-apiserver, and its RBAC enough for a controller to do its work, nothing more.
const cluster = useCluster();
const running: Controller[] = [];
afterAll(async () => {
  for (const c of running) await c.close();
});

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

/** `helm template` of the chart in draingate-system, for the test apiserver's version, with `set` (`--set` each). */
function template(...set: string[]): string[] {
  const base = ['template', 'dg', CHART, '--namespace', 'draingate-system', '--kube-version', '1.37.1', '--set', 'aws.region=eu-west-1'];
  return [...base, ...set.flatMap((s) => ['--set', s])];
}

function render(...set: string[]): Obj[] {
  const r = helm(template(...set));
  expect(r.err).toBe('');
  return parseAllDocuments(r.out)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

describe('Helm chart', () => {
  it('helm lint --strict passes; without aws.region, or with a bad value, it fails naming the value', () => {
    expect(helm(['lint', CHART, '--strict', '--set', 'aws.region=eu-west-1'])).toMatchObject({ code: 0 });
    const noRegion = helm(['template', 'dg', CHART, '--kube-version', '1.37.1']);
    expect(noRegion.code).not.toBe(0);
    expect(noRegion.err).toMatch(/aws.region is required/);
    const bad = helm(['lint', CHART, '--set', 'aws.region=x', '--set', 'aws.rate=-1']);
    expect(bad.code).not.toBe(0);
    expect(bad.out + bad.err).toMatch(/\/aws\/rate/);
  });

  it('renders 2 replicas, a PDB, a least-privilege ClusterRole, the Lease by name, and env the controller accepts', () => {
    const objs = render();
    expect(objs.map((o) => o.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const dep = objs.find((o) => o.kind === 'Deployment') as unknown as V1Deployment;
    expect(dep.spec?.replicas).toBe(2);
    const role = objs.find((o) => o.kind === 'ClusterRole') as unknown as V1ClusterRole;
    const verbs = Object.fromEntries(
      (role.rules ?? []).flatMap((r) => (r.resources ?? []).map((res) => [res, [...(r.verbs ?? [])].sort()])),
    );
    expect(verbs).toEqual({
      pods: ['get', 'list', 'watch'],
      'pods/status': ['patch'],
      events: ['create'],
      services: ['get', 'list', 'watch'],
      targetgroupbindings: ['get', 'list', 'watch'],
    });
    const lease = objs.find((o) => o.kind === 'Role') as unknown as V1ClusterRole;
    expect(lease.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['draingate-controller'], verbs: ['get', 'update'] },
    ]);
    // Every variable the chart sets is one the controller reads, and the controller accepts the rendered values.
    const c = dep.spec?.template.spec?.containers[0];
    const known = new Set([...CONTROLLER_SETTINGS.map((s) => s.env), 'DRAINGATE_LOG_LEVEL']);
    const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: '10.0.0.1', POD_NAME: 'dg-0', POD_NAMESPACE: 'draingate-system' };
    for (const e of c?.env ?? []) {
      expect(known.has(e.name) || ['POD_NAME', 'POD_NAMESPACE', 'NODE_OPTIONS'].includes(e.name), e.name).toBe(true);
      if (e.value !== undefined) env[e.name] = e.value;
    }
    // Node's own: the heap limits bench/scale measured with (values.yaml controller.nodeOptions).
    expect(env.NODE_OPTIONS).toMatch(/^--max-old-space-size=\d+ --max-semi-space-size=\d+$/);
    const config = resolveControllerConfig([], env);
    expect(config).toMatchObject({
      listenPort: 9901,
      aws: { region: 'eu-west-1', rate: 2, burst: 5 },
      lease: { name: 'draingate-controller' },
    });
    expect(render('serviceMonitor.enabled=true', 'grafanaDashboard.enabled=true').map((o) => o.kind)).toEqual(
      expect.arrayContaining(['ServiceMonitor', 'ConfigMap']),
    );
  });

  it('the rendered chart is accepted by a server-side dry-run on the real kube-apiserver', async () => {
    const text = helm(template('grafanaDashboard.enabled=true')).out;
    const results = await dryRunApply(cluster.admin(), text, { defaultNamespace: 'draingate-system' });
    expect(results.length).toBe(10);
    expect(results.filter((r) => r.error !== null)).toEqual([]);
  });

  it("the chart's ServiceAccount and RBAC are enough for a controller replica: Lease, informers, gate, Events", async () => {
    const kc = cluster.admin();
    const objects = KubernetesObjectApi.makeApiClient(kc);
    for (const o of render().filter((x) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(x.kind)))
      await objects.create(o);
    const token = await cluster.api.tokenFor('draingate-system', 'dg-draingate-controller');
    const ns = 'chart-rbac';
    await serviceAndBinding(kc, ns, 'web', TG1, { targetPort: 8080 });
    cluster.elb.set(TG1, podIp(0), 8080, 'healthy');
    await createPods(kc, ns, 'web', 1);
    const log = memoryLogger();
    const config = resolveControllerConfig(
      [
        '--listen=127.0.0.1:0',
        `--aws-endpoint=${cluster.elb.url}`,
        '--poll-interval=1s',
        '--lease-duration=3s',
        '--renew-deadline=2s',
        '--retry-period=500ms',
      ],
      {
        POD_NAME: 'dg-0',
        POD_NAMESPACE: 'draingate-system',
        AWS_REGION: 'eu-west-1',
        KUBERNETES_SERVICE_HOST: 'in-test',
      },
    );
    const c = await startController({
      config,
      kubeConfig: cluster.api.kubeConfigForToken(token),
      logger: log,
      awsCredentials: TEST_CREDENTIALS,
    });
    running.push(c);
    await waitFor('leader', () => c.isLeader());
    await waitFor('gate True', async () => condition(await readPod(kc, ns, 'web-0'), GATE)?.status === 'True');
    const events = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns });
    expect(events.items.some((e) => e.reason === 'TargetHealthy' && e.reportingComponent === 'draingate.io/controller')).toBe(true);
    expect(log.lines.filter((l) => /forbidden|403/.test(l))).toEqual([]);
  });

  it('the Grafana dashboard is valid JSON and every metric it queries is one the controller or core exports', async () => {
    const dash = JSON.parse(readFileSync(join(CHART, 'dashboards/draingate.json'), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(15);
    const c = running[0] as Controller;
    const names = new Set<string>();
    const add = (text: string): void => {
      for (const m of text.matchAll(/^# TYPE (\S+) (\S+)/gm)) {
        names.add(m[1] as string);
        if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m[1]}${s}`);
      }
    };
    add(await (await fetch(`${c.url}/metrics`)).text());
    const registry = new Registry();
    const gate = createGate({ signals: false, exit: false, logger: false, metrics: { registry } });
    add(await registry.metrics());
    await gate.dispose();
    for (const e of exprs) for (const m of e.matchAll(/\bdraingate_[a-z_]+/g)) expect(names, `${m[0]} in ${e}`).toContain(m[0]);
  });
});
