import type { WorkloadContext } from '../context.js';
import { get } from '../objects.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { NEW_POD, OLD_POD } from '../timelines.js';

/** How many pods the rollout may take out at once. */
function effectiveMaxUnavailable(ctx: WorkloadContext): number {
  if (ctx.workload.kind === 'StatefulSet') {
    // A StatefulSet cannot surge: its rolling update deletes a pod before creating the replacement
    // (updateStrategy.rollingUpdate.maxUnavailable, default 1). OnDelete leaves deleting pods to people.
    const update = get(ctx.workload.raw, 'spec', 'updateStrategy');
    if (get(update, 'type') === 'OnDelete') return 0;
    const raw = get(update, 'rollingUpdate', 'maxUnavailable') ?? 1;
    if (typeof raw === 'number') return raw;
    const pct = /^(\d+)%$/.exec(String(raw));
    return pct ? Math.max(1, Math.ceil((ctx.replicas * Number(pct[1])) / 100)) : 1;
  }
  if (ctx.workload.kind !== 'Deployment') return 0;
  const strategy = get(ctx.workload.raw, 'spec', 'strategy');
  if (get(strategy, 'type') === 'Recreate') return ctx.replicas;
  const raw = get(strategy, 'rollingUpdate', 'maxUnavailable') ?? '25%';
  if (typeof raw === 'number') return raw;
  const pct = /^(\d+)%$/.exec(String(raw));
  return pct ? Math.floor((ctx.replicas * Number(pct[1])) / 100) : 0;
}

export const pdbMissing: WorkloadRule = workloadRule({
  id: 'pdb-missing',
  severity: 'warning',
  title: 'no PodDisruptionBudget while a disruption can take pods below what is needed',
  why: 'Node drains and cluster upgrades evict pods without looking at the rollout strategy; with one replica, or a strategy that already allows unavailable pods, an eviction without a PodDisruptionBudget can remove the last serving pods at once.',
  fix: 'Run at least 2 replicas and add a PodDisruptionBudget selecting the pods (e.g. maxUnavailable: 1); set the rollout strategy to maxUnavailable: 0, maxSurge: 1.',
  reasoning:
    'A PDB makes evictions wait until enough pods are Ready (readiness gates included), so node drains proceed at the pace of the LB.',
  timeline: `${OLD_POD}\n\n${NEW_POD}`,
  check(ctx, report) {
    const w = ctx.workload;
    const maxUnavailable = effectiveMaxUnavailable(ctx);
    const replicated = w.kind === 'Deployment' || w.kind === 'StatefulSet';
    if (replicated && ctx.pdbs.length === 0 && (ctx.replicas <= 1 || maxUnavailable > 0)) {
      report(
        w,
        ctx.replicas <= 1
          ? 'spec.replicas'
          : w.kind === 'StatefulSet'
            ? 'spec.updateStrategy.rollingUpdate.maxUnavailable'
            : 'spec.strategy.rollingUpdate.maxUnavailable',
        `no PodDisruptionBudget selects these pods, and ${ctx.replicas <= 1 ? `replicas is ${ctx.replicas}` : `the rollout may take ${maxUnavailable} pod(s) out at once (maxUnavailable)`}.`,
      );
    }
  },
});
