import { describeLoadBalancer } from '../load-balancers.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { SIDECAR_GATE } from '../sidecar.js';
import { NEW_POD } from '../timelines.js';

export const instanceModeWithoutGate: LoadBalancerRule = loadBalancerRule({
  id: 'instance-mode-without-gate',
  severity: 'warning',
  title: 'instance targets without the draingate sidecar in `app` mode',
  why: 'With target-type instance the LB targets nodes, so the AWS Load Balancer Controller cannot inject a readiness gate: nothing holds a new pod back until the LB sends it traffic, and nothing observes the old pod leaving the LB.',
  fix: `Prefer target-type ip. If you keep instance targets, run the draingate sidecar with \`--source app\` and declare readinessGates: [{ conditionType: ${SIDECAR_GATE} }].`,
  reasoning:
    "In instance mode the target group holds node:NodePort pairs and kube-proxy picks the pod. ALBC's pod readiness gate only exists for ip targets. The sidecar's `app` source derives the gate from the LB health checks the app itself answered, with no AWS API calls.",
  timeline: NEW_POD,
  check(ctx, lb, report) {
    if (lb.targetType === 'instance' && !(ctx.sidecar && ctx.sidecar.source === 'app')) {
      report(
        lb.origins.targetType,
        lb.fields.targetType,
        `${describeLoadBalancer(lb)} uses instance targets${lb.fields.targetType.endsWith('(not set)') ? ' (the default)' : ''}: no controller readiness gate is possible and ${ctx.sidecar ? `the sidecar runs --source ${ctx.sidecar.source ?? '(not set)'}, not app` : 'no draingate sidecar runs with --source app'}.`,
      );
    }
  },
});
