import { authFromKubeConfig, ConditionSync, ConditionWriter, ErrorReport, KubeClient } from '@draingate/sidecar/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/internal/token-bucket.js';
import { condition, GATE, readPod, useCluster, waitFor } from './helpers/cluster.js';
import { createPods, memoryLogger } from './helpers/controllers.js';

// The controller's API budget at scale: a pod's condition writes wait for a slot before the patch is made, so the
// wishes that changed meanwhile cost one write (the last), and a gate opening goes before False writes and Events.
const cluster = useCluster();
const clients: KubeClient[] = [];
afterAll(() => {
  for (const c of clients) c.close();
});
const metrics = { conditionStatus: { set() {} }, conditionWrites: { inc() {} } } as never;

describe('paced condition writes', () => {
  it('three wishes queued behind a held slot make one write, the last wish', async () => {
    const kc = cluster.admin();
    const ns = 'ctl-pace';
    const [pod] = await createPods(kc, ns, 'web', 1);
    const kube = new KubeClient(authFromKubeConfig(kc));
    clients.push(kube);
    const ref = { name: 'web-0', namespace: ns, uid: pod?.metadata?.uid as string };
    const writer = new ConditionWriter(kube, ref, GATE);
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const paced: string[] = [];
    const log = memoryLogger();
    const sync = new ConditionSync(
      writer,
      metrics,
      log,
      new ErrorReport(log),
      () => true,
      async (wish) => {
        paced.push(`${wish().status}/${wish().reason}`);
        await held;
      },
    );
    sync.observe(await readPod(kc, ns, 'web-0'));
    sync.want({ status: 'False', reason: 'WaitingForTarget', message: 'a' });
    sync.want({ status: 'False', reason: 'TargetNotHealthy', message: 'b' });
    sync.want({ status: 'True', reason: 'TargetHealthy', message: 'c' });
    await new Promise((r) => setTimeout(r, 300));
    expect(writer.writes).toBe(0);
    release();
    await waitFor('the gate True', async () => condition(await readPod(kc, ns, 'web-0'), GATE)?.status === 'True');
    expect(writer.writes).toBe(1);
    expect(paced).toEqual(['False/WaitingForTarget']);
    sync.close();
  });

  it('the bucket serves high before normal before low', async () => {
    const bucket = new TokenBucket(20, 1);
    await bucket.take(); // empty now: the next ones queue
    const order: string[] = [];
    const waits = (['low', 'normal', 'high', 'normal', 'low', 'high'] as const).map((p, i) =>
      bucket.take(p).then(() => order.push(`${p}${i}`)),
    );
    await Promise.all(waits);
    bucket.close();
    expect(order).toEqual(['high2', 'high5', 'normal1', 'normal3', 'low0', 'low4']);
  });

  it('a waiter whose priority rises while it waits (a False wish that turned True) goes before the others', async () => {
    const bucket = new TokenBucket(20, 1);
    await bucket.take();
    const order: string[] = [];
    let third: 'normal' | 'high' = 'normal';
    const waits = [
      bucket.take('normal').then(() => order.push('a')),
      bucket.take('normal').then(() => order.push('b')),
      bucket.take(() => third).then(() => order.push('c')),
    ];
    third = 'high';
    await Promise.all(waits);
    bucket.close();
    expect(order).toEqual(['c', 'a', 'b']);
  });
});
