import { formatDuration, LB_TYPES } from '@draingate/core/internal';
import { CORE_DEFAULTS } from '../draingate-env.js';
import { describeLoadBalancer } from '../load-balancers.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

const ALB_HC = LB_TYPES.alb.controllerHealthCheck;

export const lbDetectionSlow: LoadBalancerRule = loadBalancerRule({
  id: 'lb-detection-slow',
  severity: 'warning',
  title: "the LB's unhealthy detection is longer than the draining window and there is no other evidence",
  why: 'draingate counts the failing health checks it answers while draining; with interval × unhealthy threshold (+1 s margin) ≥ DRAINGATE_MAX_DELAY and no sidecar, that evidence never arrives in time: every shutdown waits the full maxDelay, and if the LB needs longer than maxDelay, new requests reach a stopping pod.',
  fix: 'Run the draingate sidecar (DRAINGATE_SIDECAR_URL), or shorten the health check (e.g. interval 5 s × 2 = 10 s) so it fits inside DRAINGATE_MAX_DELAY; use HTTP health checks (a TCP check cannot be answered with a failure).',
  reasoning: `Evidence ends draining early and safely; maxDelay is only the upper bound. With the controller's ALB defaults (${ALB_HC.intervalMs / 1000} s × ${ALB_HC.unhealthyThreshold} = ${(ALB_HC.intervalMs * ALB_HC.unhealthyThreshold) / 1000} s: ${LB_TYPES.alb.healthCheckSource}) the LB's verdict cannot be observed within core's default maxDelay of ${formatDuration(CORE_DEFAULTS.maxDelay)}. Checked for ip targets only: instance targets are nodes, whose health checks kube-proxy passes to some Ready pod.`,
  timeline: OLD_POD,
  check(ctx, lb, report) {
    const dg = ctx.draingate;
    // The sidecar's deregistration evidence does not depend on the health checks. Instance targets are nodes: their
    // health checks reach this pod only through kube-proxy, while it is a Ready endpoint, so they say nothing about it.
    if (!dg || lb.targetType !== 'ip' || (ctx.sidecar !== null && dg.sidecarUrl !== null)) return;
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
