import { isObj } from '../objects.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { NEW_POD } from '../timelines.js';

export const readinessProbeMissing: WorkloadRule = workloadRule({
  id: 'readiness-probe-missing',
  severity: 'error',
  title: 'the app container has no readinessProbe',
  why: 'Without a readinessProbe a pod is Ready as soon as its containers start, before the app listens, and draining cannot take it out of the Service endpoints by answering 503.',
  fix: 'Add readinessProbe: { httpGet: { path: /readyz, port: <traffic port> }, periodSeconds: 2, failureThreshold: 2 } to the app container.',
  reasoning:
    'The readinessProbe is how Kubernetes (and, through the same path, the load balancer) learns that a new pod can take traffic and that an old one is draining. @draingate/core answers /readyz 200 only once the app called gate.ready(), and 503 from the first moment of draining.',
  timeline: `${NEW_POD}\n\nWithout the probe, "Ready" at tN means "process started", not "listening and warmed up".`,
  check(ctx, report) {
    const app = ctx.app;
    if (app && !isObj(app.spec.readinessProbe)) {
      report(ctx.workload, `${app.path}.readinessProbe`, `container "${app.name}" has no readinessProbe.`);
    }
  },
});
