import { formatDuration } from '@draingate/core';
import { CORE_DEFAULTS } from '../draingate-env.js';
import { describeLoadBalancer } from '../load-balancers.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

export const lbDetectionSlow: LoadBalancerRule = loadBalancerRule({
  id: 'lb-detection-slow',
  severity: 'warning',
  title: "the LB's unhealthy detection is longer than the draining window and there is no other evidence",
  why: 'draingate counts the failing health checks it answers while draining; with interval × unhealthy threshold (+1 s margin) ≥ DRAINGATE_MAX_DELAY and no sidecar, that evidence never arrives in time: every shutdown waits the full maxDelay, and if the LB needs longer than maxDelay, new requests reach a stopping pod.',
  fix: 'Run the draingate sidecar (DRAINGATE_SIDECAR_URL), or shorten the health check (e.g. interval 5 s × 2 = 10 s) so it fits inside DRAINGATE_MAX_DELAY; use HTTP health checks (a TCP check cannot be answered with a failure).',
  reasoning:
    'Evidence ends draining early and safely; maxDelay is only the upper bound. An LB that takes 15 s × 2 = 30 s to mark a target unhealthy cannot be observed within a 20 s maxDelay.',
  timeline: OLD_POD,
  check(ctx, lb, report) {
    const dg = ctx.draingate;
    // The sidecar's deregistration evidence does not depend on the health checks.
    if (!dg || (ctx.sidecar !== null && dg.sidecarUrl !== null)) return;
    const what = describeLoadBalancer(lb);
    const hc = lb.healthCheck;
    const detection = hc.intervalSeconds * hc.unhealthyThreshold * 1000 + CORE_DEFAULTS.lbMargin;
    if (hc.path === null || detection >= dg.maxDelay) {
      report(
        lb.origins.interval,
        hc.path === null ? lb.fields.protocol : lb.fields.interval,
        hc.path === null
          ? `${what} uses a TCP health check, which draingate cannot observe, and there is no sidecar: every shutdown drains for DRAINGATE_MAX_DELAY (${formatDuration(dg.maxDelay)}).`
          : `${what} needs ${hc.intervalSeconds} s × ${hc.unhealthyThreshold} + ${formatDuration(CORE_DEFAULTS.lbMargin)} (core's LB margin) = ${formatDuration(detection)} to mark the target unhealthy, not less than DRAINGATE_MAX_DELAY ${formatDuration(dg.maxDelay)}, and there is no sidecar.`,
      );
    }
  },
});
