import { type WorkloadRule, workloadRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

export const sidecarNotNative: WorkloadRule = workloadRule({
  id: 'sidecar-not-native',
  severity: 'error',
  title: 'the draingate sidecar is not a native sidecar',
  why: 'As an init container without restartPolicy: Always it never completes, so the pod never starts (error). As a regular container it receives SIGTERM together with the app and may exit while the app still drains, taking the deregistration evidence with it (warning).',
  fix: 'Put the sidecar under initContainers with restartPolicy: Always (Kubernetes ≥ 1.29): it starts before the app and stops after it.',
  reasoning: 'Native sidecars are started before regular containers and terminated after all of them have exited.',
  timeline: OLD_POD,
  check(ctx, report) {
    const sc = ctx.sidecar;
    if (!sc || sc.native) return;
    report(
      ctx.workload,
      sc.container.init ? `${sc.container.path}.restartPolicy` : sc.container.path,
      sc.container.init
        ? `the sidecar is an init container without restartPolicy: Always: it never completes, so the app never starts.`
        : `the sidecar is a regular container: it gets SIGTERM together with the app and may stop before draining ends.`,
      sc.container.init ? 'error' : 'warning',
    );
  },
});
