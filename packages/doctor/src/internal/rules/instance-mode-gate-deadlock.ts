import { albcGates, draingateGates } from '../context.js';
import { describeLoadBalancer } from '../load-balancers.js';
import { type LoadBalancerRule, loadBalancerRule } from '../rule.js';
import { SIDECAR_GATE } from '../sidecar.js';
import { NEW_POD } from '../timelines.js';

export const instanceModeGateDeadlock: LoadBalancerRule = loadBalancerRule({
  id: 'instance-mode-gate-deadlock',
  severity: 'error',
  title: 'a readiness gate driven by the load balancer, behind instance targets: new pods can never become Ready',
  why: "With target-type instance the load balancer health-checks node:NodePort and kube-proxy forwards only to Ready endpoints. A pod held back by a readiness gate that waits for the load balancer (draingate's, or the controller's target-health gate) is not Ready, so it never receives a health check and its gate never turns True: a fresh install never becomes Ready, a rollout stalls at its first new pod, scale-out adds nothing. Deleting a pod also deregisters nothing there (the node stays the target), so there is no per-pod evidence for the sidecar to report.",
  fix: `Remove the readiness gate (${SIDECAR_GATE}) and the draingate sidecar in instance mode, and keep draingate in the app: its readiness flip, Connection: close and draining still work through kube-proxy (examples/k8s/overlays/alb-instance). Better: target-type ip with the namespace labelled elbv2.k8s.aws/pod-readiness-gate-inject: enabled, where the AWS Load Balancer Controller's own gate holds each new pod until its target is healthy (examples/k8s/overlays/alb-ip).`,
  reasoning:
    'Instance targets are nodes (aws-load-balancer-controller docs/deploy/pod_readiness_gate.md: the controller\'s gate "only works with target-type: ip"). kube-proxy sends NodePort traffic, the load balancer\'s health checks included, only to ready endpoints, and a pod whose readiness gate is False is not ready (Kubernetes docs, Pod readiness gate); packages/sidecar/test/endpointslice.test.ts shows such a pod as a not-ready endpoint on a real API server and controller-manager. The old examples/k8s/overlays/alb-instance did exactly this (test/fixtures/old-kit).',
  timeline: NEW_POD,
  check(ctx, lb, report) {
    if (lb.targetType !== 'instance') return;
    const gates = [...draingateGates(ctx), ...albcGates(ctx)];
    if (gates.length === 0) return;
    report(
      ctx.workload,
      `${ctx.podPath}.readinessGates`,
      `${describeLoadBalancer(lb)} uses instance targets${lb.fields.targetType.endsWith('(not set)') ? ' (the default)' : ''} and the pods declare ${gates.join(', ')}: deadlock. The load balancer health-checks node:NodePort, kube-proxy passes those checks only to Ready pods, and a pod held back by this gate is not Ready, so its gate never turns True: a fresh install never becomes Ready, a rollout stalls at its first new pod.`,
    );
  },
});
