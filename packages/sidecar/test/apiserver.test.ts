import { dryRunApply, installTargetGroupBindingCrd, k8sBinDir } from '@draingate/testkit/k8s';
import { ApiException, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { useCluster } from './helpers/cluster.js';

// The fixture itself: a real kube-apiserver with RBAC, token auth and ServiceAccount tokens.
const cluster = useCluster();

describe('test apiserver fixture', () => {
  it('serves a verified TLS endpoint to the admin token', async () => {
    const core = cluster.admin().makeApiClient(CoreV1Api);
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toContain('default');
  });

  it('enforces RBAC on ServiceAccount tokens minted by TokenRequest', async () => {
    const token = await cluster.api.tokenFor('fixture', 'nobody');
    const core = cluster.api.kubeConfigForToken(token).makeApiClient(CoreV1Api);
    const err = await core.listNamespacedPod({ namespace: 'fixture' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(403);
    expect(String((err as ApiException<unknown>).body)).toContain('system:serviceaccount:fixture:nobody');
  });

  it('rejects a wrong token with 401', async () => {
    const core = cluster.api.kubeConfigForToken('not-a-token').makeApiClient(CoreV1Api);
    const err = await core.listNamespace().catch((e: unknown) => e);
    expect((err as ApiException<unknown>).code).toBe(401);
  });

  it('applies strategic merge patches to pods/status', async () => {
    const core = cluster.admin().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'smp' } } });
    await core.createNamespacedPod({
      namespace: 'smp',
      body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } },
    });
    const cond = (type: string) => ({ type, status: 'True', lastTransitionTime: new Date() });
    for (const type of ['a.example/x', 'b.example/y']) {
      await core.patchNamespacedPodStatus(
        { name: 'p', namespace: 'smp', body: { status: { conditions: [cond(type)] } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    }
    const pod = await core.readNamespacedPodStatus({ name: 'p', namespace: 'smp' });
    expect(pod.status?.conditions?.map((c) => c.type).sort()).toEqual(['a.example/x', 'b.example/y']);
  });

  it('dry-runs YAML documents and reports each one', async () => {
    const kc = cluster.admin();
    await installTargetGroupBindingCrd(kc);
    const results = await dryRunApply(
      kc,
      `apiVersion: v1
kind: ConfigMap
metadata: {name: ok, namespace: dry}
data: {a: "1"}
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: tgb, namespace: dry}
spec:
  targetGroupARN: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef
  targetType: ip
  serviceRef: {name: web, port: 80}
---
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: dry}
spec: {containers: []}
`,
    );
    expect(results.map((r) => [r.kind, r.error === null])).toEqual([
      ['ConfigMap', true],
      ['TargetGroupBinding', true],
      ['Pod', false],
    ]);
    expect(results[2]?.code).toBe(422);
    // Dry-run: nothing was stored.
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNamespacedConfigMap({ namespace: 'dry' })).items.map((c) => c.metadata?.name)).not.toContain('ok');
  });
});

describe('missing binaries', () => {
  it('fail with a message that says how to build them', () => {
    const saved = process.env.DGTEST_K8S_BIN;
    process.env.DGTEST_K8S_BIN = '/nonexistent/draingate-k8s-bin';
    try {
      expect(() => k8sBinDir()).toThrow(/test\/k8s\/build\.sh.*\.\/run test/);
    } finally {
      if (saved === undefined) delete process.env.DGTEST_K8S_BIN;
      else process.env.DGTEST_K8S_BIN = saved;
    }
  });
});
