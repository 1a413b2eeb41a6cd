import { checkSidecarStatus } from '@draingate/core/internal';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Controller } from '../src/internal/controller.js';
import type { ControllerStatusBody } from '../src/internal/pods.js';
import { DEREGISTRATION_CONDITION } from '../src/internal/record.js';
import { condition, GATE, podEvents, readPod, serviceAndBinding, useCluster, waitFor } from './helpers/cluster.js';
import { createPods, leaderOf, podIp, runController, TG1, TG2 } from './helpers/controllers.js';

// Two replicas on the real kube-apiserver, the real AWS SDK against the fake ELBv2 Query/XML endpoint.
const cluster = useCluster();
const running: Controller[] = [];
afterAll(async () => {
  for (const c of running) await c.close();
});

async function get(c: Controller, ns: string, name: string): Promise<{ status: number; body: ControllerStatusBody }> {
  const res = await fetch(`${c.url}/v1/pods/${ns}/${name}/status`);
  return { status: res.status, body: (await res.json()) as ControllerStatusBody };
}

describe('controller', () => {
  it('one DescribeTargetHealth per target group per poll for every pod; gates True; no calls in steady state; followers answer from what the leader wrote', async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'ctl-life';
    await serviceAndBinding(kc, ns, 'web', TG1, { targetPort: 'http' });
    // A second Service + binding selecting the same pods (an app behind an ALB and an NLB): two target groups.
    await serviceAndBinding(kc, ns, 'web', TG2, { targetPort: 8080, name: 'web-nlb' });
    elb.protocol(TG2, 'TCP');
    const n = 6;
    for (let i = 0; i < n; i++) {
      elb.set(TG1, podIp(i), 8080, 'initial');
      elb.set(TG2, podIp(i), 8080, 'initial');
    }
    await createPods(kc, ns, 'web', n);
    const before = elb.describeCalls().length;
    const t0 = Date.now();
    const a = await runController(kc, elb.url, 'ctl-a', [`--namespace=${ns}`]);
    const b = await runController(kc, elb.url, 'ctl-b', [`--namespace=${ns}`]);
    running.push(a, b);
    const leader = await leaderOf([a, b]);
    const follower = leader === a ? b : a;

    // Not healthy yet: the leader writes False with the LB's reason, for every pod.
    await waitFor('every gate False (TargetNotHealthy)', async () => {
      for (let i = 0; i < n; i++) if (condition(await readPod(kc, ns, `web-${i}`), GATE)?.reason !== 'TargetNotHealthy') return false;
      return true;
    });
    for (let i = 0; i < n; i++) elb.set(TG1, podIp(i), 8080, 'healthy');
    for (let i = 0; i < n; i++) elb.set(TG2, podIp(i), 8080, 'healthy');
    await waitFor('every gate True', async () => {
      for (let i = 0; i < n; i++) if (condition(await readPod(kc, ns, `web-${i}`), GATE)?.status !== 'True') return false;
      return true;
    });
    const calls = elb.describeCalls().slice(before);
    const seconds = (Date.now() - t0) / 1000;
    // Whole target groups, never one pod's target: the answer covers every pod.
    expect(calls.every((c) => c.targets.length === 0)).toBe(true);
    expect(new Set(calls.map((c) => c.targetGroupArn))).toEqual(new Set([TG1, TG2]));
    // One call per group per 1 s poll (±20 %, a first look within 0.5 s): far below one per pod.
    for (const tg of [TG1, TG2])
      expect(calls.filter((c) => c.targetGroupArn === tg).length).toBeLessThanOrEqual(Math.ceil(seconds / 0.8) + 2);
    expect(calls.length).toBeLessThan(n * seconds);
    // The protocol of TG2 (TCP) makes the pods NLB targets: the longer bound wins (here --propagation-bound 1s).
    expect(elb.targetGroupCalls().length).toBe(2);

    // Steady state: no call at all.
    const steady = elb.describeCalls().length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(elb.describeCalls().length).toBe(steady);

    // Both replicas answer the contract; the follower from the pod's condition, saying so.
    const fromLeader = await get(leader, ns, 'web-0');
    const fromFollower = await get(follower, ns, 'web-0');
    for (const r of [fromLeader, fromFollower]) {
      expect(r.status).toBe(200);
      expect(checkSidecarStatus(r.body)).toBeNull();
      expect(r.body.gate).toMatchObject({ conditionType: GATE, status: 'True', reason: 'TargetHealthy' });
      expect(r.body.phase).toBe('ready');
    }
    expect(fromLeader.body.controller).toMatchObject({ role: 'leader', servedBy: leader === a ? 'ctl-a' : 'ctl-b' });
    expect(fromLeader.body.targets).toHaveLength(2);
    expect(fromLeader.body.controller.targetHealthAt).not.toBeNull();
    expect(fromFollower.body.controller).toMatchObject({
      role: 'follower',
      targetHealthAt: null,
      leader: fromLeader.body.controller.servedBy,
    });
    expect(fromFollower.body.controller.ageMs).toBeGreaterThanOrEqual(0);
    expect((await get(follower, ns, 'nope')).status).toBe(404);

    // Events from the leader only, once each.
    const events = await podEvents(kc, ns, 'web-0');
    expect(events.filter((e) => e.reason === 'TargetHealthy')).toHaveLength(1);

    // Deletion: draining; the API shows the target draining; the leader records the start on the pod; both replicas
    // answer the same startedAt (to the millisecond) and deregistered once the bound (1 s) passed.
    const callsBeforeDrain = elb.describeCalls().length;
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web-1', namespace: ns, gracePeriodSeconds: 60 });
    await waitFor(
      'draining on both replicas',
      async () =>
        (await get(leader, ns, 'web-1')).body.phase === 'draining' && (await get(follower, ns, 'web-1')).body.phase === 'draining',
    );
    // The leader knows the type from DescribeTargetGroups; a follower learns it from the record.
    expect((await get(leader, ns, 'web-1')).body.deregistration).toMatchObject({ observable: true, startedAt: null, lbType: 'nlb' });
    expect((await get(follower, ns, 'web-1')).body.deregistration).toMatchObject({ observable: true, startedAt: null, lbType: null });
    elb.set(TG1, podIp(1), 8080, 'draining');
    elb.set(TG2, podIp(1), 8080, 'draining');
    const recorded = await waitFor('the deregistration record on the pod', async () =>
      condition(await readPod(kc, ns, 'web-1'), DEREGISTRATION_CONDITION),
    );
    expect(recorded).toMatchObject({ status: 'True', reason: 'DeregistrationStarted' });
    const l = await waitFor('leader: deregistered', async () =>
      (await get(leader, ns, 'web-1')).body.deregistered ? (await get(leader, ns, 'web-1')).body : null,
    );
    const f = await waitFor('follower: deregistered', async () =>
      (await get(follower, ns, 'web-1')).body.deregistered ? (await get(follower, ns, 'web-1')).body : null,
    );
    expect(f.deregistration.startedAt).toBe(l.deregistration.startedAt);
    expect(f.deregistration.lbType).toBe('nlb');
    expect(l.deregistration.startedAt).toMatch(/\.\d{3}Z$/);
    // Only the draining pod's groups were polled, and they stopped once the API showed it gone.
    const drainCalls = elb.describeCalls().length - callsBeforeDrain;
    expect(drainCalls).toBeGreaterThan(0);
    expect(drainCalls).toBeLessThanOrEqual(2 * 8);
  });
});
