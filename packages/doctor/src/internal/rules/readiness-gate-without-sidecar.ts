import { declaredGates } from '../context.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { SIDECAR_GATE } from '../sidecar.js';
import { NEW_POD } from '../timelines.js';

export const readinessGateWithoutSidecar: WorkloadRule = workloadRule({
  id: 'readiness-gate-without-sidecar',
  severity: 'error',
  title: `${SIDECAR_GATE} is declared but no draingate sidecar writes it`,
  why: 'A declared readiness gate whose condition nobody sets keeps every new pod un-Ready forever: the rollout stalls at the first new pod (progressDeadlineExceeded).',
  fix: 'Add the draingate sidecar (a native sidecar: initContainers entry with restartPolicy: Always) writing this condition type, or remove the readiness gate.',
  reasoning: `Kubernetes treats a missing condition of a declared gate as False. Only the sidecar patches ${SIDECAR_GATE}.`,
  timeline: NEW_POD,
  check(ctx, report) {
    if (!declaredGates(ctx).includes(SIDECAR_GATE)) return;
    if (!ctx.sidecar) {
      report(ctx.workload, `${ctx.podPath}.readinessGates`, `${SIDECAR_GATE} is declared but no draingate sidecar runs in the pod.`);
    } else if (ctx.sidecar.conditionType !== SIDECAR_GATE) {
      report(
        ctx.workload,
        `${ctx.podPath}.readinessGates`,
        `${SIDECAR_GATE} is declared but the draingate sidecar writes ${ctx.sidecar.conditionType} (--condition-type): nobody sets the declared gate.`,
      );
    }
  },
});
