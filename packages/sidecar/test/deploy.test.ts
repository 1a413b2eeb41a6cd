import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerfileInstructions, dryRunApply, ensureNamespace } from '@draingate/testkit/k8s';
import { CoreV1Api, type KubeConfig, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { serviceAndBinding, useCluster } from './helpers/cluster.js';
import { condition, GATE, readPod, waitFor, waitForGate } from './helpers/pods.js';
import { getJson, TG1, waitForEvents } from './helpers/sidecar.js';

// Packaging: the Dockerfile's properties, the manifests accepted by a real apiserver, and the documented Role.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string): string => readFileSync(join(pkg, p), 'utf8');

const cluster = useCluster({ elb: true, targetGroupBindings: true });

describe('Dockerfile', () => {
  const ins = dockerfileInstructions(read('Dockerfile'));
  const froms = ins.map((i, n) => ({ ...i, n })).filter((i) => i.op === 'FROM');
  const final = ins.slice((froms.at(-1) as { n: number }).n);

  it('is multi-stage: builds with pnpm deploy --prod, the final stage only copies from the build stage', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const run = ins
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join(' ');
    expect(run).toMatch(/pnpm .*--filter @draingate\/sidecar .*--prod .*deploy|pnpm .*deploy .*--prod/);
    expect(run).toContain('--frozen-lockfile');
    const copies = final.filter((i) => i.op === 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) expect(c.args).toMatch(/^--from=build /);
    expect(final.some((i) => i.op === 'RUN')).toBe(false); // distroless has no shell
  });

  it('runs as a numeric non-root user on a small base, entrypoint = the package bin', () => {
    expect(froms.at(-1)?.args).toMatch(/^(gcr\.io\/distroless\/nodejs\d+|node:\d+-alpine)/);
    const user = final.filter((i) => i.op === 'USER').at(-1)?.args ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin['draingate-sidecar'] as string;
    const entry = JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    expect(entry.at(-1)).toBe(join('/app', bin));
    expect(read('Dockerfile')).not.toMatch(/(AWS_SECRET|TOKEN|PASSWORD)\s*=/i);
  });
});

describe('deploy manifests', () => {
  it('rbac.yaml and pod-example.yaml pass a server-side dry-run', async () => {
    const kc = cluster.admin();
    for (const f of ['deploy/rbac.yaml', 'deploy/pod-example.yaml']) {
      const results = await dryRunApply(kc, read(f));
      expect(results.length, f).toBeGreaterThan(0);
      expect(
        results.filter((r) => r.error !== null),
        f,
      ).toEqual([]);
    }
  });

  it('pod-example.yaml runs the sidecar natively with the gate, the downward API env and a preStop to /v1/prestop', () => {
    const pod = parseAllDocuments(read('deploy/pod-example.yaml'))[0]?.toJS() as {
      spec: {
        readinessGates: { conditionType: string }[];
        initContainers: { restartPolicy: string; env: { name: string }[]; args: string[] }[];
        containers: { lifecycle: { preStop: { httpGet: { path: string; port: number } } } }[];
      };
    };
    expect(pod.spec.readinessGates).toEqual([{ conditionType: GATE }]);
    const sc = pod.spec.initContainers[0];
    expect(sc?.restartPolicy).toBe('Always');
    expect(sc?.env.map((e) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE', 'POD_UID', 'POD_IP', 'NODE_NAME']);
    const listen = sc?.args
      .find((a) => a.startsWith('--listen='))
      ?.split(':')
      .at(-1);
    expect(pod.spec.containers[0]?.lifecycle.preStop.httpGet).toEqual({ path: '/v1/prestop', port: Number(listen) });
  });
});

/** Applies every document for real into `ns` (namespace fields rewritten). */
async function applyInto(kc: KubeConfig, ns: string, text: string): Promise<void> {
  await ensureNamespace(kc, ns);
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const d of parseAllDocuments(text)) {
    const o = d.toJS() as KubernetesObject & { subjects?: { namespace?: string }[] };
    o.metadata = { ...o.metadata, namespace: ns };
    for (const s of o.subjects ?? []) s.namespace = ns;
    await client.create(o);
  }
}

describe('the documented Role', () => {
  it('lets a ServiceAccount bound to it do everything the aws source needs (TargetGroupBindings, pod, gate, events), with in-cluster auth', async () => {
    const { api, elb } = cluster;
    const admin = cluster.admin();
    const ns = 'rbac-ok';
    await applyInto(admin, ns, read('deploy/rbac.yaml'));
    await serviceAndBinding(admin, ns, 'web', TG1, { targetPort: 'http' }); // the binding has no targetType
    elb.set(TG1, '10.0.0.5', 8080, 'healthy');
    // What the kubelet mounts: a projected token and the cluster CA.
    const saDir = mkdtempSync(join(tmpdir(), 'draingate-sa-'));
    cluster.defer(() => rmSync(saDir, { recursive: true, force: true }));
    writeFileSync(join(saDir, 'token'), await api.tokenFor(ns, 'draingate-sidecar'), { mode: 0o600 });
    writeFileSync(join(saDir, 'ca.crt'), Buffer.from(api.caData, 'base64'));
    const inCluster = { host: '127.0.0.1', port: new URL(api.url).port, serviceAccountDir: saDir };
    const { sidecar } = await cluster.podWithSidecar(ns, cluster.awsFlags(), {
      pod: { nodeName: 'node-1', ports: [{ name: 'http', containerPort: 8080 }] },
      kubeConfig: { inCluster },
    });
    await waitForGate(admin, ns, 'web', 'gate True', (c) => c.status === 'True');
    await admin.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web', namespace: ns, gracePeriodSeconds: 60 });
    await waitFor('draining seen through the watch', () => sidecar.status().phase === 'draining');
    elb.set(TG1, '10.0.0.5', 8080, 'draining');
    await waitFor('deregistered', () => sidecar.status().deregistered);
    const reasons = (await waitForEvents(admin, ns, 'web', 4)).map((e) => e.reason);
    expect(reasons.sort()).toEqual(['Deregistered', 'TargetDraining', 'TargetHealthy', 'TargetRegistered']);
    expect(sidecar.status().lastError).toBeNull(); // not a single 403 on the way
  }, 60_000);

  it('without it: one clear 403 naming the verb and resource, and no gate write', async () => {
    const { api } = cluster;
    const admin = cluster.admin();
    const ns = 'rbac-none';
    const token = await api.tokenFor(ns, 'draingate-sidecar'); // creates the namespace and the ServiceAccount
    const { sidecar } = await cluster.podWithSidecar(ns, ['--source=albc'], { kubeConfig: api.kubeConfigForToken(token) });
    const err = await waitFor('403 reported', () => sidecar.status().lastError);
    expect(err.message).toMatch(
      /refused "get pods" in namespace rbac-none \(403: .*\)\. Grant verb "get" on "pods" to the pod's ServiceAccount/,
    );
    const st = await getJson<{ gate: { status: string } }>(`${sidecar.url}/v1/status`);
    expect(st.body.gate.status).toBe('Unknown');
    expect(condition(await readPod(admin, ns, 'web'), GATE)).toBeUndefined();
  }, 60_000);
});
