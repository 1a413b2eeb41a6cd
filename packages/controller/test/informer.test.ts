import { authFromKubeConfig, KubeClient } from '@draingate/sidecar/internal';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Informer } from '../src/internal/informer.js';
import { readPod, useCluster, waitFor } from './helpers/cluster.js';
import { createPods } from './helpers/controllers.js';

const cluster = useCluster();
const clients: KubeClient[] = [];
afterAll(() => {
  for (const c of clients) c.close();
});

describe('informer', () => {
  it('keeps the gated pods of a list and of the watch, without managedFields (the cache holds every pod of a 1,000-pod rollout)', async () => {
    const kc = cluster.admin();
    const ns = 'ctl-informer';
    await createPods(kc, ns, 'web', 2);
    expect((await readPod(kc, ns, 'web-0')).metadata?.managedFields?.length).toBeGreaterThan(0);
    const kube = new KubeClient(authFromKubeConfig(kc));
    clients.push(kube);
    const seen: string[] = [];
    const informer = new Informer<V1Pod>(kube, {
      path: `/api/v1/namespaces/${ns}/pods`,
      what: 'pods',
      onUpsert: (p) => seen.push(p.metadata?.name as string),
      onDelete: () => {},
    });
    informer.start();
    try {
      await waitFor('the list', () => informer.synced);
      await createPods(kc, ns, 'late', 1); // through the watch
      await waitFor('the watched pod', () => informer.get(ns, 'late-0'));
      for (const p of informer.values()) expect(p.metadata?.managedFields, p.metadata?.name).toBeUndefined();
      expect(informer.size).toBe(3);
      expect(seen).toEqual(expect.arrayContaining(['web-0', 'web-1', 'late-0']));
    } finally {
      informer.stop();
    }
  });
});
