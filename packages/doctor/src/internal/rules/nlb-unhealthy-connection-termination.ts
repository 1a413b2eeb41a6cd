import { formatDuration } from '@draingate/core/internal';
import { terminationGrace } from '../context.js';
import { describeLoadBalancer } from '../load-balancers.js';
import { get } from '../objects.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

const TERMINATION = 'target_health_state.unhealthy.connection_termination.enabled';
const INTERVAL = 'target_health_state.unhealthy.draining_interval_seconds';

export const nlbUnhealthyConnectionTermination: LoadBalancerRule = loadBalancerRule({
  id: 'nlb-unhealthy-connection-termination',
  severity: 'warning',
  title: 'the NLB resets the connections of a draining target that turns unhealthy',
  why: `A draining app answers its readiness path with 503, so an NLB checking that path marks a target that is still registered unhealthy (the controller's deregistration came late, or the app drains without being deleted). An NLB then sends TCP RST on the client connections to an unhealthy target, unless ${TERMINATION}=false; with it false, the target keeps its established connections for ${INTERVAL} (default 0), then they are terminated.`,
  fix: `Add ${TERMINATION}=false,${INTERVAL}=<at least DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT in seconds> to service.beta.kubernetes.io/aws-load-balancer-target-group-attributes (examples/k8s/overlays/nlb-ip).`,
  reasoning:
    'NLB user guide, "Health checks for Network Load Balancer target groups": "If a target becomes unhealthy, the load balancer sends a TCP RST for packets received on the client connections associated with the target"; "Target group health", unhealthy target connection termination, and the ELBv2 API reference, TargetGroupAttribute: with connection termination off the target is unhealthy.draining (no new connections, established ones kept) for the draining interval. ALB targets are not affected.',
  timeline: OLD_POD,
  check(ctx, lb, report) {
    const dg = ctx.draingate;
    const probePath = ctx.app ? get(ctx.app.spec, 'readinessProbe', 'httpGet', 'path') : undefined;
    // Only an HTTP check of the path that turns 503 while draining makes a draining target unhealthy.
    if (lb.type !== 'nlb' || !dg || lb.healthCheck.path === null || lb.healthCheck.path !== (probePath ?? '/readyz')) return;
    const window = dg.maxDelay + dg.drainTimeout;
    const what = describeLoadBalancer(lb);
    if (lb.attributes[TERMINATION] !== 'false') {
      report(
        lb.origins.deregistration,
        lb.fields.deregistration,
        `${what} checks ${lb.healthCheck.path}, which answers 503 while the pod drains, and ${TERMINATION} is ${lb.attributes[TERMINATION] ?? 'not set (default true)'}: a draining target that is still registered turns unhealthy and its client connections are reset.`,
      );
      return;
    }
    const raw = lb.attributes[INTERVAL];
    const seconds = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : 0;
    if (seconds * 1000 < window) {
      report(
        lb.origins.deregistration,
        lb.fields.deregistration,
        `${what} keeps the connections of an unhealthy target for ${INTERVAL}=${raw ?? '0 (not set)'} s, but the pod may serve for ${formatDuration(window)} after draining starts (DRAINGATE_MAX_DELAY ${formatDuration(dg.maxDelay)} + DRAINGATE_DRAIN_TIMEOUT ${formatDuration(dg.drainTimeout)}; terminationGracePeriodSeconds ${terminationGrace(ctx).seconds}).`,
      );
    }
  },
});
