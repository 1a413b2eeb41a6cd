import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ConditionWriter } from '../src/internal/condition.js';
import { Failure } from '../src/internal/failures.js';
import { authFromKubeConfig, KubeClient } from '../src/internal/kubeclient.js';
import { useCluster } from './helpers/cluster.js';
import { condition, createPod, GATE, readPod, writeConditions } from './helpers/pods.js';

// Gate patching against a real kube-apiserver: strategic merge patch on pods/status with a uid precondition.
const cluster = useCluster();

const ALBC = 'target-health.elbv2.k8s.aws/k8s-web-tgb';

async function writerFor(ns: string, name: string): Promise<ConditionWriter> {
  const kc = cluster.admin();
  const pod = await createPod(kc, ns, name, { extraGates: [ALBC] });
  const w = new ConditionWriter(new KubeClient(authFromKubeConfig(kc)), { name, namespace: ns, uid: pod.metadata?.uid as string }, GATE);
  w.observe(pod);
  return w;
}

describe('ConditionWriter against kube-apiserver', () => {
  it('adds its condition and leaves the kubelet Ready and ALBC target-health conditions intact', async () => {
    const kc = cluster.admin();
    const w = await writerFor('gate', 'keep-others');
    await writeConditions(kc, 'gate', 'keep-others', [
      { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady' },
      { type: ALBC, status: 'True', reason: 'Elb.RegistrationCompleted' },
    ]);
    expect(await w.write({ status: 'True', reason: 'TargetHealthy', message: 'healthy in 1/1 target groups' })).toBe('written');
    const pod = await readPod(kc, 'gate', 'keep-others');
    expect(condition(pod, GATE)).toMatchObject({ status: 'True', reason: 'TargetHealthy', message: 'healthy in 1/1 target groups' });
    expect(condition(pod, 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });
    expect(condition(pod, ALBC)).toMatchObject({ status: 'True', reason: 'Elb.RegistrationCompleted' });
  });

  it('skips the write when nothing changed (resourceVersion unchanged)', async () => {
    const kc = cluster.admin();
    const w = await writerFor('gate', 'noop');
    const d = { status: 'False', reason: 'TargetNotHealthy', message: 'initial' } as const;
    expect(await w.write(d)).toBe('written');
    const rv = (await readPod(kc, 'gate', 'noop')).metadata?.resourceVersion;
    expect(await w.write(d)).toBe('unchanged');
    expect((await readPod(kc, 'gate', 'noop')).metadata?.resourceVersion).toBe(rv);
    expect(w.writes).toBe(1);
  });

  it('a stale pod observed after writing True (a watch event older than the write) neither turns it False nor moves lastTransitionTime', async () => {
    const kc = cluster.admin();
    const w = await writerFor('gate', 'stale');
    const before = await readPod(kc, 'gate', 'stale'); // no gate condition yet: what a late watch event carries
    expect(await w.write({ status: 'True', reason: 'TargetHealthy', message: 'a' }, new Date('2026-01-01T00:00:00Z'))).toBe('written');
    w.observe(before);
    expect(await w.write({ status: 'False', reason: 'TargetNotHealthy', message: 'b' })).toBe('unchanged');
    let c = condition(await readPod(kc, 'gate', 'stale'), GATE);
    expect(c).toMatchObject({ status: 'True', reason: 'TargetHealthy', message: 'a' });
    // Saying True again (e.g. with a new message) keeps the time it turned True.
    w.observe(before);
    await w.write({ status: 'True', reason: 'TargetHealthy', message: 'c' }, new Date('2026-01-01T00:05:00Z'));
    c = condition(await readPod(kc, 'gate', 'stale'), GATE);
    expect(c).toMatchObject({ status: 'True', message: 'c' });
    expect(new Date(c?.lastTransitionTime as Date).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('sets lastTransitionTime only when the status changes', async () => {
    const kc = cluster.admin();
    const w = await writerFor('gate', 'ltt');
    await w.write({ status: 'False', reason: 'TargetNotRegistered', message: 'a' }, new Date('2026-01-01T00:00:00Z'));
    await w.write({ status: 'False', reason: 'TargetNotHealthy', message: 'b' }, new Date('2026-01-01T00:01:00Z'));
    let c = condition(await readPod(kc, 'gate', 'ltt'), GATE);
    expect(c?.reason).toBe('TargetNotHealthy');
    expect(new Date(c?.lastTransitionTime as Date).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    await w.write({ status: 'True', reason: 'TargetHealthy', message: 'c' }, new Date('2026-01-01T00:02:00Z'));
    c = condition(await readPod(kc, 'gate', 'ltt'), GATE);
    expect(new Date(c?.lastTransitionTime as Date).toISOString()).toBe('2026-01-01T00:02:00.000Z');
  });

  it('never writes False over True', async () => {
    const kc = cluster.admin();
    const w = await writerFor('gate', 'monotonic');
    await w.write({ status: 'True', reason: 'TargetHealthy', message: 'ok' });
    expect(await w.write({ status: 'False', reason: 'TargetNotHealthy', message: 'flap' })).toBe('unchanged');
    expect(condition(await readPod(kc, 'gate', 'monotonic'), GATE)?.status).toBe('True');
  });

  it('guardFalse: a False write over a pod that changed since the writer saw it is refused (409, `conflict`): a True it has not seen stays', async () => {
    const kc = cluster.admin();
    const pod = await createPod(kc, 'gate', 'guarded');
    const api = new KubeClient(authFromKubeConfig(kc));
    const ref = { name: 'guarded', namespace: 'gate', uid: pod.metadata?.uid as string };
    const lagging = new ConditionWriter(api, ref, GATE, { guardFalse: true });
    lagging.observe(pod); // its view: no condition yet
    // Another replica (the old leader) wrote True meanwhile; this writer has not seen it.
    await new ConditionWriter(api, ref, GATE).write({ status: 'True', reason: 'TargetHealthy', message: 'old leader' });
    // Refused with 409: not an error, the writer's view lags (the sync retries 250 ms later, no backoff).
    expect(await lagging.write({ status: 'False', reason: 'TargetNotHealthy', message: 'stale view' })).toBe('conflict');
    expect(lagging.writes).toBe(0);
    expect(condition(await readPod(kc, 'gate', 'guarded'), GATE)).toMatchObject({ status: 'True', message: 'old leader' });
    // Once it has seen the pod as it is, it knows True and writes nothing.
    lagging.observe(await readPod(kc, 'gate', 'guarded'));
    expect(await lagging.write({ status: 'False', reason: 'TargetNotHealthy', message: 'stale view' })).toBe('unchanged');
    // A False write over the version it saw goes through.
    const other = await createPod(kc, 'gate', 'guarded-ok');
    const w = new ConditionWriter(api, { name: 'guarded-ok', namespace: 'gate', uid: other.metadata?.uid as string }, GATE, {
      guardFalse: true,
    });
    w.observe(other);
    expect(await w.write({ status: 'False', reason: 'TargetNotRegistered', message: 'x' })).toBe('written');
    api.close();
  });

  it('does not write to a pod recreated with the same name (uid precondition → 422) and stops writing', async () => {
    const kc = cluster.admin();
    const w = await writerFor('gate', 'recreated');
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'recreated', namespace: 'gate', gracePeriodSeconds: 0 });
    const fresh = await createPod(kc, 'gate', 'recreated');
    expect(fresh.metadata?.uid).not.toBe(w.pod.uid);
    expect(await w.write({ status: 'True', reason: 'TargetHealthy', message: 'stale writer' })).toBe('stopped');
    expect(w.stopped).toMatch(/replaced by another with the same name.*uid precondition failed: 422/);
    expect(condition(await readPod(kc, 'gate', 'recreated'), GATE)).toBeUndefined();
    // Stopped for good: no further request.
    expect(await w.write({ status: 'True', reason: 'TargetHealthy', message: 'again' })).toBe('stopped');
  });

  it('stops writing when the pod is gone (404)', async () => {
    const kc = cluster.admin();
    const w = await writerFor('gate', 'gone');
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'gone', namespace: 'gate', gracePeriodSeconds: 0 });
    expect(await w.write({ status: 'True', reason: 'TargetHealthy', message: 'x' })).toBe('stopped');
    expect(w.stopped).toMatch(/gone \(404\)/);
  });

  it('reports a 403 naming the verb and resource to grant', async () => {
    const kc = cluster.admin();
    const pod = await createPod(kc, 'gate', 'forbidden');
    const token = await cluster.api.tokenFor('gate', 'no-rbac');
    const w = new ConditionWriter(
      new KubeClient(authFromKubeConfig(cluster.api.kubeConfigForToken(token))),
      { name: 'forbidden', namespace: 'gate', uid: pod.metadata?.uid as string },
      GATE,
    );
    const err = await w.write({ status: 'True', reason: 'TargetHealthy', message: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Failure);
    expect((err as Failure).kind).toBe('forbidden');
    expect((err as Failure).message).toMatch(/Grant verb "patch" on "pods\/status"/);
    expect(w.stopped).toBeNull();
  });
});
