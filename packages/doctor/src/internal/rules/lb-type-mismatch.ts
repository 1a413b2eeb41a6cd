import { LB_TYPES } from '@draingate/core/internal';
import { describeLoadBalancer } from '../load-balancers.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

/**
 * The load balancer type the app's evidence would follow while draining: DRAINGATE_LB_TYPE, or with `auto` (the
 * default) the sidecar's answer when the app reads a sidecar, else an ALB (core's DrainWatch.lbType).
 */
export const lbTypeMismatch: LoadBalancerRule = loadBalancerRule({
  id: 'lb-type-mismatch',
  severity: 'error',
  title: 'the app reads its load balancer as an ALB, but an NLB routes to it',
  why: `Behind an ALB a node that stops sending requests has stopped routing here, so draingate lets that silence end draining. An NLB node routes connections, not requests: once the draining app answers Connection: close its clients move their connections elsewhere and the node falls silent while it would still open new connections here (${LB_TYPES.nlb.propagationSource}). With DRAINGATE_LB_TYPE=nlb only failing health checks (after the NLB's reaction time) or the sidecar's deregistration evidence end draining; read as an ALB, the app stops early and new connections are refused or reset.`,
  fix: 'Set DRAINGATE_LB_TYPE=nlb on the app container (examples/k8s/overlays/nlb-ip), or run the draingate sidecar with DRAINGATE_SIDECAR_URL, which reports the type from DescribeTargetGroups.',
  reasoning: `@draingate/core's LB_TYPES: alb silenceShowsStop ${LB_TYPES.alb.silenceShowsStop}, nlb silenceShowsStop ${LB_TYPES.nlb.silenceShowsStop}. Measured in the rollout benchmark's NLB model (bench/README.md): an app left on auto without a sidecar lost connections at scale-in; with DRAINGATE_LB_TYPE=nlb it lost none.`,
  timeline: OLD_POD,
  check(ctx, lb, report) {
    const dg = ctx.draingate;
    const app = ctx.app;
    if (!dg || !app || lb.type !== 'nlb' || dg.unresolved.includes('DRAINGATE_LB_TYPE')) return;
    const raw = dg.env.DRAINGATE_LB_TYPE?.trim().toLowerCase();
    if (raw === 'nlb') return;
    const sidecarAnswers = ctx.sidecar !== null && dg.sidecarUrl !== null;
    if ((raw === undefined || raw === 'auto') && sidecarAnswers) return;
    // Any other value is draingate-config-invalid's finding.
    if (raw !== undefined && raw !== 'auto' && raw !== 'alb') return;
    report(
      ctx.workload,
      `${app.path}.env[name=DRAINGATE_LB_TYPE]${raw === undefined ? ' (not set: auto)' : ''}`,
      raw === 'alb'
        ? `DRAINGATE_LB_TYPE is alb, but ${describeLoadBalancer(lb)} routes here: a node's silence would end draining while it may still open new connections to the pod.`
        : `DRAINGATE_LB_TYPE is ${raw === undefined ? 'not set (auto)' : 'auto'} and no sidecar tells the app the type, so it reads ${describeLoadBalancer(lb)} as an ALB: a node's silence would end draining while it may still open new connections to the pod.`,
    );
  },
});
