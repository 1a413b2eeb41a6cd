import { authFromKubeConfig, KubeClient } from '@draingate/sidecar/internal';
import { afterEach, describe, expect, it } from 'vitest';
import type { Controller } from '../src/internal/controller.js';
import { useCluster, waitFor } from './helpers/cluster.js';
import { leaderOf, runController } from './helpers/controllers.js';

// Lease-based leader election (coordination.k8s.io/v1) on the real kube-apiserver; lease 3 s, renew deadline 2 s,
// retry period 500 ms (helpers/controllers.ts).
const cluster = useCluster();
let running: Controller[] = [];
afterEach(async () => {
  for (const c of running) await c.close({ release: false });
  running = [];
});

/** Samples every 20 ms until `done`: never two leaders at once. */
function watchLeaders(controllers: Controller[]): { stop(): number; overlap: () => boolean } {
  let overlap = false;
  let samples = 0;
  const t = setInterval(() => {
    samples++;
    if (controllers.filter((c) => c.isLeader()).length > 1) overlap = true;
  }, 20);
  return {
    stop: () => {
      clearInterval(t);
      return samples;
    },
    overlap: () => overlap,
  };
}

async function lease(name: string): Promise<{ holderIdentity?: string; leaseTransitions?: number }> {
  const kc = cluster.admin();
  const { CoordinationV1Api } = await import('@kubernetes/client-node');
  const l = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace: 'draingate-system' });
  return { holderIdentity: l.spec?.holderIdentity ?? '', leaseTransitions: l.spec?.leaseTransitions ?? 0 };
}

describe('leader election', () => {
  it('one leader among three; when it dies (no release) a follower takes over within the lease duration + a retry period', async () => {
    const kc = cluster.admin();
    const cs = await Promise.all(
      ['a', 'b', 'c'].map((id) => runController(kc, cluster.elb.url, `dies-${id}`, ['--lease-name=dies', '--namespace=none'])),
    );
    running.push(...cs);
    const w = watchLeaders(cs);
    const first = await leaderOf(cs);
    expect((await lease('dies')).holderIdentity).toBe(first.config.identity);
    await new Promise((r) => setTimeout(r, 2000)); // renewals keep it
    expect(first.isLeader()).toBe(true);
    const killedAt = Date.now();
    await first.close({ release: false }); // as if the process died: the Lease stays with it until it expires
    const rest = cs.filter((c) => c !== first);
    const next = await leaderOf(rest, 10_000);
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThanOrEqual(3000 + 2 * 600 + 500); // lease duration + the retry period (×1.2) twice + slack
    expect(takeover).toBeGreaterThanOrEqual(1000); // not before the lease could have expired
    expect(next.leader()).toBe(next.config.identity);
    const l = await lease('dies');
    expect(l.holderIdentity).toBe(next.config.identity);
    expect(l.leaseTransitions).toBe(1);
    expect(w.stop()).toBeGreaterThan(100);
    expect(w.overlap()).toBe(false);
  });

  it('a leader that stops gracefully releases the Lease: a follower takes over at its next try, not after the lease duration', async () => {
    const kc = cluster.admin();
    const cs = await Promise.all(
      ['a', 'b'].map((id) => runController(kc, cluster.elb.url, `rel-${id}`, ['--lease-name=rel', '--namespace=none'])),
    );
    running.push(...cs);
    const first = await leaderOf(cs);
    const other = cs.find((c) => c !== first) as Controller;
    await waitFor('the follower sees who leads', () => other.leader() === first.config.identity); // followers see who leads
    const stoppedAt = Date.now();
    await first.close({ release: true });
    await leaderOf([other], 5000);
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
  });

  it('a leader that cannot renew steps down within the renew deadline, before anybody else may take over', async () => {
    const kc = cluster.admin();
    const [a] = await Promise.all([runController(kc, cluster.elb.url, 'cut-a', ['--lease-name=cut', '--namespace=none'])]);
    running.push(a as Controller);
    const leader = await leaderOf([a as Controller]);
    // Someone else takes the Lease by force (as a replica with a skewed view might): the leader's renewals now fail
    // their resourceVersion precondition or see another holder, and it must stop within the renew deadline.
    const api = new KubeClient(authFromKubeConfig(kc));
    const path = '/apis/coordination.k8s.io/v1/namespaces/draingate-system/leases/cut';
    const l = await api.request<{ spec: Record<string, unknown> }>('GET', path);
    const now = new Date().toISOString().replace('Z', '000Z');
    await api.request('PUT', path, {
      body: { ...l, spec: { ...l.spec, holderIdentity: 'intruder', renewTime: now, leaseDurationSeconds: 30 } },
    });
    api.close();
    const t0 = Date.now();
    while (leader.isLeader() && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    expect(leader.isLeader()).toBe(false);
    expect(Date.now() - t0).toBeLessThanOrEqual(2000 + 600 + 300);
    expect(leader.leader()).toBe('intruder');
  });
});
