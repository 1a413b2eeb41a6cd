import { THROTTLING } from '@draingate/testkit/elbv2';
import { afterEach, describe, expect, it } from 'vitest';
import type { Controller } from '../src/internal/controller.js';
import { condition, GATE, readPod, serviceAndBinding, useCluster, waitFor } from './helpers/cluster.js';
import { createPods, leaderOf, podIp, runController } from './helpers/controllers.js';

// The ELBv2 budget: the client-side token bucket, and a ThrottlingException holding every call of the process.
const cluster = useCluster();
let running: Controller[] = [];
afterEach(async () => {
  for (const c of running) await c.close();
  running = [];
});

const tg = (i: number): string => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/g${i}/00000000000000${i}0`;

/** `n` apps (Service + TargetGroupBinding + one pod each) in namespace `ns`, targets `initial` in the fake. */
async function apps(ns: string, n: number): Promise<void> {
  const kc = cluster.admin();
  for (let i = 0; i < n; i++) {
    await createPods(kc, ns, `app${i}`, 1);
    await serviceAndBinding(kc, ns, `app${i}`, tg(i), { targetPort: 8080 });
    cluster.elb.set(tg(i), podIp(0), 8080, 'initial');
  }
}

describe('ELBv2 budget', () => {
  it('the token bucket paces calls across target groups (--aws-rate 2, --aws-burst 2)', async () => {
    await apps('budget-rate', 6);
    const before = cluster.elb.calls.length;
    const c = await runController(cluster.admin(), cluster.elb.url, 'rate', [
      '--namespace=budget-rate',
      '--lease-name=rate',
      '--aws-rate=2',
      '--aws-burst=2',
      '--lb-type=alb',
    ]);
    running.push(c);
    await leaderOf([c]);
    await new Promise((r) => setTimeout(r, 6000));
    const calls = cluster.elb.calls.slice(before);
    // Six groups at a 1 s interval would make ~6 calls/s; the bucket allows 2/s after a burst of 2.
    const span = (calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0);
    expect(calls.length).toBeGreaterThanOrEqual(6);
    expect(calls.length).toBeLessThanOrEqual(2 + Math.ceil((span / 1000) * 2) + 1);
    for (let i = 0; i + 4 < calls.length; i++) expect((calls[i + 4]?.at ?? 0) - (calls[i]?.at ?? 0)).toBeGreaterThanOrEqual(1400);
    // Every group got its turn.
    expect(new Set(calls.map((x) => x.targetGroupArn)).size).toBe(6);
  });

  it('a ThrottlingException with Retry-After holds every call of the controller, then polling resumes and gates turn True', async () => {
    await apps('budget-throttle', 3);
    cluster.elb.failNext(1, { ...THROTTLING, retryAfterSeconds: 3 });
    const before = cluster.elb.calls.length;
    const c = await runController(cluster.admin(), cluster.elb.url, 'throttle', [
      '--namespace=budget-throttle',
      '--lease-name=throttle',
      '--lb-type=alb',
    ]);
    running.push(c);
    await leaderOf([c]);
    const throttled = await waitFor('the throttled call', () => cluster.elb.calls.slice(before).find((x) => x.error === 'Throttling'));
    // The targets stay unhealthy through the Retry-After: every group keeps wanting a poll each second (--poll-interval
    // 1s), so a group that was not held would call within it.
    await new Promise((r) => setTimeout(r, 3500 - (Date.now() - throttled.at)));
    for (let i = 0; i < 3; i++) cluster.elb.set(tg(i), podIp(0), 8080, 'healthy');
    await waitFor(
      'gates True',
      async () => {
        for (let i = 0; i < 3; i++)
          if (condition(await readPod(cluster.admin(), 'budget-throttle', `app${i}-0`), GATE)?.status !== 'True') return false;
        return true;
      },
      30_000,
    );
    const after = cluster.elb.calls.slice(before).filter((x) => x.at >= throttled.at && x !== throttled);
    // Each group polls on its own: another group's call already past the bucket when the throttled answer came back
    // may land just after it (CI saw one 7 ms later). At most one per other group, and none of the throttled group.
    const inFlight = after.filter((x) => x.at - throttled.at < 1000);
    expect(inFlight.length).toBeLessThanOrEqual(2);
    expect(new Set(inFlight.map((x) => x.targetGroupArn)).size).toBe(inFlight.length);
    expect(inFlight.some((x) => x.targetGroupArn === throttled.targetGroupArn)).toBe(false);
    // Then no call of any group within the Retry-After (3 s) of the throttled one.
    const held = after.filter((x) => x.at - throttled.at >= 1000);
    expect(held.length).toBeGreaterThan(0);
    expect((held[0]?.at ?? 0) - throttled.at).toBeGreaterThanOrEqual(2900);
    const metrics = await (await fetch(`${c.url}/metrics`)).text();
    expect(metrics).toMatch(/draingate_controller_aws_calls_total\{action="DescribeTargetHealth",outcome="throttled"\} 1/);
  });
});
