import { draingateGates, ipTargets, NAMESPACE_LABEL, namespaceLabelled } from '../context.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { NEW_POD } from '../timelines.js';

export const namespaceLabelMissing: WorkloadRule = workloadRule({
  id: 'namespace-label-missing',
  severity: 'error',
  title: `ip targets but the namespace lacks ${NAMESPACE_LABEL}: enabled`,
  why: "The AWS Load Balancer Controller injects its readiness gate only into pods created in a namespace with this label. Without that gate Kubernetes counts a new pod Ready before the load balancer routes to it, and a rollout can remove old pods first; a pod that also declares draingate's gate may never be registered at all (the controller reconciles on pod changes only for pods carrying its own gate), so the rollout stalls. (Reported as info when the Namespace is not part of the input, as a warning then if the pods declare draingate's gate.)",
  fix: `Label the Namespace (metadata.labels["${NAMESPACE_LABEL}"]: enabled) and create the Service and Ingress before the pods; existing pods only get the gate after a restart (kubectl rollout restart).`,
  reasoning:
    "The label is read by the controller's mutating webhook at pod creation, and only when a Service selecting the pod and a TargetGroupBinding already exist (aws-load-balancer-controller docs/deploy/pod_readiness_gate.md); the webhook's failurePolicy is Ignore, so a pod created while the controller is down gets no gate either. The controller registers a not-Ready pod once its containers are ready (pkg/backend/endpoint_resolver.go) but is told about pod changes only for pods with its gate (controllers/elbv2/eventhandlers/pod.go): a pod held back by draingate's gate alone turns ContainersReady without an EndpointSlice change and waits for unrelated churn or the 10 h resync. The draingate sidecar warns about that state (\"ContainersReady but not registered\").",
  timeline: NEW_POD,
  check(ctx, report) {
    const ip = ipTargets(ctx);
    if (ip.length === 0 || namespaceLabelled(ctx)) return;
    const own = draingateGates(ctx);
    const stall = own.length > 0 ? ` The pods declare ${own.join(', ')}: without the controller's gate they may never be registered.` : '';
    if (ctx.namespaceObject) {
      report(
        ctx.namespaceObject,
        `metadata.labels["${NAMESPACE_LABEL}"]`,
        `Namespace ${ctx.namespaceObject.name} is not labelled ${NAMESPACE_LABEL}: enabled, but ${ip[0]?.type === 'alb' ? 'the ALB' : 'the NLB'} uses ip targets.${stall}`,
      );
    } else {
      report(
        ctx.workload,
        null,
        `ip targets are used and the Namespace ${ctx.namespace ?? '(unspecified)'} is not in the input: make sure it is labelled ${NAMESPACE_LABEL}: enabled before the pods are created.${stall}`,
        own.length > 0 ? 'warning' : 'info',
      );
    }
  },
});
