import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Sidecar } from '../src/internal/sidecar.js';
import { type ApiServer, dryRunApply, ensureNamespace, installTargetGroupBindingCrd, startApiServer } from './helpers/apiserver.js';
import { FakeElbv2 } from './helpers/fake-elbv2.js';
import { condition, createPod, GATE, readPod, waitFor } from './helpers/pods.js';
import { getJson, podEvents, runSidecar, TG1 } from './helpers/sidecar.js';

// Packaging: the Dockerfile's properties, the manifests accepted by a real apiserver, and the documented Role.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string): string => readFileSync(join(pkg, p), 'utf8');

let api: ApiServer;
let elb: FakeElbv2;
const running: Sidecar[] = [];
const cleanupDirs: string[] = [];
beforeAll(async () => {
  api = await startApiServer();
  await installTargetGroupBindingCrd(api.adminKubeConfig());
  elb = await new FakeElbv2().start();
}, 150_000);
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
  for (const d of cleanupDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
afterAll(async () => {
  await elb?.stop();
  await api?.stop();
}, 30_000);

/** Dockerfile instructions (continuation lines joined, comments dropped). */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: (op as string).toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const ins = instructions(read('Dockerfile'));
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
    const kc = api.adminKubeConfig();
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
    const admin = api.adminKubeConfig();
    const ns = 'rbac-ok';
    await applyInto(admin, ns, read('deploy/rbac.yaml'));
    const pod = await createPod(admin, ns, 'web', { nodeName: 'node-1', ports: [{ name: 'http', containerPort: 8080 }] });
    await admin.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
    });
    await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'elbv2.k8s.aws',
      version: 'v1beta1',
      namespace: ns,
      plural: 'targetgroupbindings',
      body: {
        apiVersion: 'elbv2.k8s.aws/v1beta1',
        kind: 'TargetGroupBinding',
        metadata: { name: 'web' },
        spec: { targetGroupARN: TG1, serviceRef: { name: 'web', port: 80 } },
      },
    });
    elb.set(TG1, '10.0.0.5', 8080, 'healthy');
    // What the kubelet mounts: a projected token and the cluster CA.
    const saDir = mkdtempSync(join(tmpdir(), 'draingate-sa-'));
    cleanupDirs.push(saDir);
    writeFileSync(join(saDir, 'token'), await api.tokenFor(ns, 'draingate-sidecar'), { mode: 0o600 });
    writeFileSync(join(saDir, 'ca.crt'), Buffer.from(api.caData, 'base64'));
    const inCluster = { host: '127.0.0.1', port: new URL(api.url).port, serviceAccountDir: saDir };
    const sidecar = await runSidecar({ inCluster }, { name: 'web', namespace: ns, uid: pod.metadata?.uid as string }, [
      '--source=aws',
      '--region=eu-west-1',
      `--aws-endpoint=${elb.url}`,
    ]);
    running.push(sidecar);
    await waitFor('gate True', async () => condition(await readPod(admin, ns, 'web'), GATE)?.status === 'True');
    await admin.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web', namespace: ns, gracePeriodSeconds: 60 });
    await waitFor('draining seen through the watch', () => sidecar.status().phase === 'draining');
    elb.set(TG1, '10.0.0.5', 8080, 'draining');
    await waitFor('deregistered', () => sidecar.status().deregistered);
    const reasons = (
      await waitFor('events', async () => {
        const ev = await podEvents(admin, ns, 'web');
        return ev.length >= 4 ? ev : null;
      })
    ).map((e) => e.reason);
    expect(reasons.sort()).toEqual(['Deregistered', 'TargetDraining', 'TargetHealthy', 'TargetRegistered']);
    expect(sidecar.status().lastError).toBeNull(); // not a single 403 on the way
  }, 60_000);

  it('without it: one clear 403 naming the verb and resource, and no gate write', async () => {
    const admin = api.adminKubeConfig();
    const ns = 'rbac-none';
    const pod = await createPod(admin, ns, 'web');
    const token = await api.tokenFor(ns, 'draingate-sidecar');
    const sidecar = await runSidecar(api.kubeConfigForToken(token), { name: 'web', namespace: ns, uid: pod.metadata?.uid as string }, [
      '--source=albc',
    ]);
    running.push(sidecar);
    const err = await waitFor('403 reported', () => sidecar.status().lastError);
    expect(err.message).toMatch(
      /refused "get pods" in namespace rbac-none \(403: .*\)\. Grant verb "get" on "pods" to the pod's ServiceAccount/,
    );
    const st = await getJson<{ gate: { status: string } }>(`${sidecar.url}/v1/status`);
    expect(st.body.gate.status).toBe('Unknown');
    expect(condition(await readPod(admin, ns, 'web'), GATE)).toBeUndefined();
  }, 60_000);
});
