import { type WorkloadRule, workloadRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

export const noLoadBalancer: WorkloadRule = workloadRule({
  id: 'no-load-balancer',
  severity: 'info',
  title: 'no AWS load balancer found for the workload',
  why: 'Without a Service selecting the pods and an ALB Ingress or NLB Service in the input, the load-balancer rules cannot be checked.',
  fix: 'Pass the Service and Ingress manifests together with the workload (same directory, same kustomization, or several files).',
  reasoning: 'doctor only checks what it is given.',
  timeline: OLD_POD,
  check(ctx, report) {
    if (ctx.services.length > 0 && ctx.loadBalancers.length > 0) return;
    report(
      ctx.workload,
      null,
      ctx.services.length === 0
        ? 'no Service in the input selects these pods: load-balancer rules were not checked.'
        : `no ALB Ingress or NLB Service (AWS Load Balancer Controller) routes to Service ${ctx.services.map((s) => s.name).join(', ')}: load-balancer rules were not checked.`,
    );
  },
});
