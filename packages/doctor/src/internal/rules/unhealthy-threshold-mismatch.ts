import { CORE_DEFAULTS } from '../draingate-env.js';
import { describeLoadBalancer } from '../load-balancers.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

export const unhealthyThresholdMismatch: LoadBalancerRule = loadBalancerRule({
  id: 'unhealthy-threshold-mismatch',
  severity: 'error',
  title: "DRAINGATE_LB_UNHEALTHY_THRESHOLD differs from the target group's unhealthy threshold",
  why: "draingate ends draining once each LB node has seen DRAINGATE_LB_UNHEALTHY_THRESHOLD failing checks. If that is lower than the LB's threshold, draining ends while the LB still routes to the pod (error); if higher, the evidence never completes and draining waits for maxDelay (warning).",
  fix: "Set DRAINGATE_LB_UNHEALTHY_THRESHOLD to the LB's unhealthy threshold (ALB default 2, NLB default 3), or set the annotation to match.",
  reasoning: 'The two numbers describe the same thing, seen from each side of the health check.',
  timeline: OLD_POD,
  check(ctx, lb, report) {
    const dg = ctx.draingate;
    const app = ctx.app;
    const hc = lb.healthCheck;
    if (!dg || !app || hc.path === null || hc.unhealthyThreshold === dg.lbUnhealthyThreshold) return;
    const lower = dg.lbUnhealthyThreshold < hc.unhealthyThreshold;
    report(
      ctx.workload,
      `${app.path}.env[name=DRAINGATE_LB_UNHEALTHY_THRESHOLD]${dg.env.DRAINGATE_LB_UNHEALTHY_THRESHOLD === undefined ? ` (not set: ${CORE_DEFAULTS.lbUnhealthyThreshold})` : ''}`,
      `draingate counts ${dg.lbUnhealthyThreshold} failing health checks but ${describeLoadBalancer(lb)} needs ${hc.unhealthyThreshold} (${lb.fields.unhealthy})${lower ? ': draining ends while the LB still routes here.' : ': that evidence never completes.'}`,
      lower ? 'error' : 'warning',
    );
  },
});
