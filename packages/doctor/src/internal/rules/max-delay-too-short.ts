import { formatDuration, LB_TYPES } from '@draingate/core/internal';
import { CORE_DEFAULTS, tryCoreDuration } from '../draingate-env.js';
import { describeLoadBalancer } from '../load-balancers.js';
import { ASSUMED_CONTROLLER_LAG_MS, routingWindowMs, routingWindowText } from '../routing-window.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

const kit = (type: 'alb' | 'nlb'): string => formatDuration(routingWindowMs(type));

export const maxDelayTooShort: LoadBalancerRule = loadBalancerRule({
  id: 'max-delay-too-short',
  severity: 'error',
  title: 'DRAINGATE_MAX_DELAY ends draining before the load balancer may have stopped routing',
  why: `When no evidence ends draining sooner, DRAINGATE_MAX_DELAY is when the app stops taking requests. With ip targets the load balancer may send new requests until the controller's DeregisterTargets (assumed up to ${formatDuration(ASSUMED_CONTROLLER_LAG_MS)} after the deletion) plus the load balancer type's propagation bound after it (ALB ${formatDuration(LB_TYPES.alb.propagationBoundMs)}, NLB ${formatDuration(LB_TYPES.nlb.propagationBoundMs)}: users' measurements with a margin). A shorter maxDelay lets requests reach a stopped pod: 502/504 for an ALB, refused or reset connections for an NLB.`,
  fix: `Set DRAINGATE_MAX_DELAY to at least the controller lag plus the propagation bound (ALB ${kit('alb')}, NLB ${kit('nlb')}, plus a few seconds), then DRAINGATE_GRACE_PERIOD and terminationGracePeriodSeconds above DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT + DRAINGATE_HOOKS_TIMEOUT and deregistration_delay.timeout_seconds to at least DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT (examples/k8s shows the arithmetic in its comments).`,
  reasoning: `The bounds are @draingate/core's LB_TYPES (the sidecar reports the same bound to core): ALB ${formatDuration(LB_TYPES.alb.propagationBoundMs)}: ${LB_TYPES.alb.propagationSource} NLB ${formatDuration(LB_TYPES.nlb.propagationBoundMs)}: ${LB_TYPES.nlb.propagationSource} The controller lag of ${formatDuration(ASSUMED_CONTROLLER_LAG_MS)} is an assumption, not a documented bound (users saw 2 s: aws-load-balancer-controller issue #2366). Instance targets are not checked: deleting a pod deregisters nothing there.`,
  timeline: OLD_POD,
  check(ctx, lb, report) {
    const dg = ctx.draingate;
    const app = ctx.app;
    if (!dg || !app || lb.targetType !== 'ip') return;
    const raw = dg.env.DRAINGATE_MAX_DELAY;
    const set = raw !== undefined;
    // A value core refuses is draingate-config-invalid's finding, not a short delay.
    if ((set && tryCoreDuration(raw) === undefined) || dg.maxDelay >= routingWindowMs(lb.type)) return;
    report(
      ctx.workload,
      `${app.path}.env[name=DRAINGATE_MAX_DELAY]${set ? '' : ` (not set: ${formatDuration(CORE_DEFAULTS.maxDelay)})`}`,
      `DRAINGATE_MAX_DELAY ${formatDuration(dg.maxDelay)}${set ? '' : ' (the default)'} is shorter than the time ${describeLoadBalancer(lb)} may still send new requests after the pod's deletion: ${routingWindowText(lb.type)}. When no evidence ends draining sooner, the app stops while the load balancer still routes here.`,
    );
  },
});
