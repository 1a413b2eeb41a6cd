import { ipTargets, NAMESPACE_LABEL, namespaceLabelled } from '../context.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { NEW_POD } from '../timelines.js';

export const namespaceLabelMissing: WorkloadRule = workloadRule({
  id: 'namespace-label-missing',
  severity: 'error',
  title: `ip targets but the namespace lacks elbv2.k8s.aws/pod-readiness-gate-inject: enabled`,
  why: 'The AWS Load Balancer Controller injects its readiness gate only into pods created in a namespace with this label. Without it a rollout can delete old pods before the LB routes to the new ones. (Reported as info when the Namespace is not part of the input.)',
  fix: 'Label the Namespace (metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"]: enabled) before the pods are created; existing pods only get the gate after a restart (kubectl rollout restart).',
  reasoning:
    "The label is read by the controller's mutating webhook at pod creation. Labelling a namespace whose pods already run changes nothing until they are recreated, which is why the kit's Namespace carries the label from the start.",
  timeline: NEW_POD,
  check(ctx, report) {
    const ip = ipTargets(ctx);
    if (ip.length === 0 || namespaceLabelled(ctx)) return;
    if (ctx.namespaceObject) {
      report(
        ctx.namespaceObject,
        `metadata.labels["${NAMESPACE_LABEL}"]`,
        `Namespace ${ctx.namespaceObject.name} is not labelled ${NAMESPACE_LABEL}: enabled, but ${ip[0]?.type === 'alb' ? 'the ALB' : 'the NLB'} uses ip targets.`,
      );
    } else {
      report(
        ctx.workload,
        null,
        `ip targets are used and the Namespace ${ctx.namespace ?? '(unspecified)'} is not in the input: make sure it is labelled ${NAMESPACE_LABEL}: enabled before the pods are created.`,
        'info',
      );
    }
  },
});
