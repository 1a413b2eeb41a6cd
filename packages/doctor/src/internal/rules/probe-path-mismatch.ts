import { describeLoadBalancer } from '../load-balancers.js';
import { get } from '../objects.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { NEW_POD, OLD_POD } from '../timelines.js';

export const probePathMismatch: LoadBalancerRule = loadBalancerRule({
  id: 'probe-path-mismatch',
  severity: 'error',
  title: "the load balancer's health check does not use the readinessProbe's path",
  why: "The LB decides on its own health check, Kubernetes on the readinessProbe. When they differ (the controller's default is `/`, or a TCP check), the LB sends traffic to a pod that is not ready yet and keeps a draining pod healthy, since `/` answers 200 while /readyz answers 503.",
  fix: 'Set alb.ingress.kubernetes.io/healthcheck-path (ALB) or service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol: http and -healthcheck-path (NLB) to the readinessProbe path, e.g. /readyz.',
  reasoning:
    "Both checks should answer the same question. draingate's /readyz turns 503 the moment draining starts, so an LB checking /readyz marks the target unhealthy after unhealthy-threshold × interval: one more way the LB stops routing, and evidence the app can observe (ELB-HealthChecker requests answered 503).",
  timeline: `${OLD_POD}\n\nAn LB checking \`/\` (or TCP) never sees the 503: only deregistration takes the target out.\n\n${NEW_POD}`,
  check(ctx, lb, report) {
    const probePath = ctx.app ? get(ctx.app.spec, 'readinessProbe', 'httpGet', 'path') : undefined;
    const what = describeLoadBalancer(lb);
    const hc = lb.healthCheck;
    if (hc.path === null) {
      report(
        lb.origins.protocol,
        lb.fields.protocol,
        `${what} uses a TCP health check: it cannot see ${typeof probePath === 'string' ? probePath : 'the readiness path'} answer 503 while the pod drains.`,
      );
    } else if (typeof probePath === 'string' && probePath !== hc.path) {
      report(
        lb.origins.path,
        lb.fields.path,
        `${what} checks ${hc.path}${lb.fields.path.endsWith('(not set)') ? ' (the default)' : ''} but the readinessProbe checks ${probePath}.`,
      );
    }
  },
});
