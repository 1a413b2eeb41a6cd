import { formatDuration } from '@draingate/core/internal';
import { terminationGrace } from '../context.js';
import { describeLoadBalancer } from '../load-balancers.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

export const deregistrationDelayTooShort: LoadBalancerRule = loadBalancerRule({
  id: 'deregistration-delay-too-short',
  severity: 'error',
  title: 'deregistration_delay.timeout_seconds is shorter than the pod may still serve after deregistration begins',
  why: 'When the deregistration delay ends, the LB closes the connections that are still open to the target: requests the pod is still allowed to finish (up to maxDelay + drainTimeout after draining starts) fail with 502/504.',
  fix: 'Set target-group-attributes: deregistration_delay.timeout_seconds=<at least DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT in seconds> (the AWS default, 300, is always enough).',
  reasoning:
    'Deregistration begins at the earliest at t0. From then the pod may serve until draining ends (≤ maxDelay) and in-flight requests complete (≤ drainTimeout); without draingate, until SIGKILL (terminationGracePeriodSeconds). Checked for ip targets only: instance targets are nodes, which stay registered when a pod goes.',
  timeline: OLD_POD,
  check(ctx, lb, report) {
    const dg = ctx.draingate;
    const tgps = terminationGrace(ctx).seconds;
    const window = dg ? dg.maxDelay + dg.drainTimeout : tgps * 1000;
    // Only ip targets are deregistered when a pod goes (instance targets are nodes, which stay registered while
    // kube-proxy moves traffic off the pod).
    if (lb.targetType === 'ip' && lb.deregistrationDelaySeconds * 1000 < window) {
      report(
        lb.origins.deregistration,
        lb.fields.deregistration,
        `${describeLoadBalancer(lb)} has deregistration_delay.timeout_seconds=${lb.deregistrationDelaySeconds}, but the pod may serve ${formatDuration(window)} after deregistration begins (${dg ? `DRAINGATE_MAX_DELAY ${formatDuration(dg.maxDelay)} + DRAINGATE_DRAIN_TIMEOUT ${formatDuration(dg.drainTimeout)}` : `terminationGracePeriodSeconds ${tgps}`}).`,
      );
    }
  },
});
