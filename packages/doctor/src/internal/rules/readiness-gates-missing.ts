import { declaredGates, ipTargets, namespaceLabelled } from '../context.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { SIDECAR_GATE } from '../sidecar.js';
import { NEW_POD } from '../timelines.js';

export const readinessGatesMissing: WorkloadRule = workloadRule({
  id: 'readiness-gates-missing',
  severity: 'warning',
  title: 'no readiness gate holds new pods back until the load balancer routes to them',
  why: 'Without a readiness gate (declared, or injected by the controller in ip mode), Kubernetes counts a pod Ready before the LB has registered it and its health checks passed; a fast rollout removes old targets first. With the sidecar but no declared gate, the condition it writes is waited for by nobody.',
  fix: `Declare readinessGates: [{ conditionType: ${SIDECAR_GATE} }] with the draingate sidecar, or use ip targets with the namespace label so the controller injects its gate.`,
  reasoning:
    'A readiness gate is an extra pod condition that must be True for the pod to be Ready. The rollout (maxUnavailable/maxSurge) counts Ready pods, so the gate paces the rollout to the LB.',
  timeline: NEW_POD,
  check(ctx, report) {
    const gates = declaredGates(ctx);
    const injected = ipTargets(ctx).length > 0 && namespaceLabelled(ctx);
    if (ctx.sidecar && !gates.includes(ctx.sidecar.conditionType)) {
      report(
        ctx.workload,
        `${ctx.podPath}.readinessGates`,
        `the draingate sidecar writes ${ctx.sidecar.conditionType}, but the pod does not declare it as a readiness gate${injected ? " (only the controller's injected gate applies)" : ''}.`,
      );
    } else if (!ctx.sidecar && gates.length === 0 && !injected && ctx.loadBalancers.length > 0) {
      report(
        ctx.workload,
        `${ctx.podPath}.readinessGates`,
        'no readiness gate is declared and none will be injected (no ip targets in a labelled namespace).',
      );
    }
  },
});
