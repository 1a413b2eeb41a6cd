import { formatDuration } from '@draingate/core/internal';
import { sidecarPreStop, terminationGrace, type WorkloadContext } from '../context.js';
import { CORE_DEFAULTS, coreConfigRefusal, tryCoreDuration } from '../draingate-env.js';
import type { K8sObject } from '../objects.js';
import { envOf, preStopSleep } from '../pod.js';
import { type Report, type WorkloadRule, workloadRule } from '../rule.js';
import { SIDECAR_DEFAULTS, settingField } from '../sidecar.js';
import { OLD_POD } from '../timelines.js';

/**
 * preStop sleep + maxDelay + drainTimeout + hooksTimeout against terminationGracePeriodSeconds. The verdict is core's
 * own budget check (resolveConfig), run on the container's environment with the pod's real deadline, less any fixed
 * preStop sleep (it runs before SIGTERM on the same clock), as DRAINGATE_GRACE_PERIOD.
 */
function checkPod(ctx: WorkloadContext, report: Report<K8sObject>): void {
  const dg = ctx.draingate;
  const app = ctx.app;
  if (!dg || !app) return;
  const grace = terminationGrace(ctx);
  const sleep = preStopSleep(app);
  const sleepMs = sleep ? sleep.seconds * 1000 : 0;
  const budget = sleepMs + dg.maxDelay + dg.drainTimeout + dg.hooksTimeout;
  const deadline = grace.seconds * 1000 - sleepMs;
  const refusal = coreConfigRefusal({ ...envOf(app.spec).env, DRAINGATE_GRACE_PERIOD: `${Math.max(0, deadline)}ms` });
  if (refusal?.error.setting === 'gracePeriod') {
    const parts = [
      ...(sleep ? [`preStop sleep ${formatDuration(sleepMs)}`] : []),
      `DRAINGATE_MAX_DELAY ${formatDuration(dg.maxDelay)}`,
      `DRAINGATE_DRAIN_TIMEOUT ${formatDuration(dg.drainTimeout)}`,
      `DRAINGATE_HOOKS_TIMEOUT ${formatDuration(dg.hooksTimeout)}`,
    ];
    const envGrace = dg.env.DRAINGATE_GRACE_PERIOD;
    const note =
      dg.gracePeriod !== grace.seconds * 1000
        ? ` DRAINGATE_GRACE_PERIOD is ${envGrace ?? `${formatDuration(CORE_DEFAULTS.gracePeriod)} (default)`}, not ${grace.seconds}s: core checks its budget against that, not the real deadline.`
        : '';
    report(
      ctx.workload,
      grace.field,
      `${parts.join(' + ')} = ${formatDuration(budget)}, not less than terminationGracePeriodSeconds ${grace.seconds}s: SIGKILL comes first.${note}`,
    );
  }
}

/** A preStop on the sidecar's /v1/prestop: the sidecar answers it --app-drain-budget before the deadline. */
function checkSidecarPreStop(ctx: WorkloadContext, report: Report<K8sObject>): void {
  const sc = ctx.sidecar;
  const dg = ctx.draingate;
  if (!sc || !dg || !sidecarPreStop(ctx)) return;
  const budgetRaw = sc.values['app-drain-budget'];
  const budget = budgetRaw === undefined ? SIDECAR_DEFAULTS.appDrainBudget : tryCoreDuration(budgetRaw);
  const needed = dg.minDelay + dg.drainTimeout + dg.hooksTimeout;
  if (budget !== undefined && budget < needed) {
    report(
      ctx.workload,
      settingField(sc, 'app-drain-budget'),
      `the sidecar answers preStop by the deletion deadline minus --app-drain-budget ${formatDuration(budget)}${budgetRaw === undefined ? ' (default)' : ''}, but after SIGTERM the app needs up to DRAINGATE_MIN_DELAY ${formatDuration(dg.minDelay)} + DRAINGATE_DRAIN_TIMEOUT ${formatDuration(dg.drainTimeout)} + DRAINGATE_HOOKS_TIMEOUT ${formatDuration(dg.hooksTimeout)} = ${formatDuration(needed)}.`,
    );
  }
}

export const budgetExceedsGracePeriod: WorkloadRule = workloadRule({
  id: 'budget-exceeds-grace-period',
  severity: 'error',
  title: 'the shutdown budget does not fit terminationGracePeriodSeconds',
  why: "preStop sleep + DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT + DRAINGATE_HOOKS_TIMEOUT must end before the kubelet sends SIGKILL, or in-flight requests are cut and hooks never finish. When preStop waits on the sidecar's /v1/prestop, the sidecar's --app-drain-budget must leave the app DRAINGATE_MIN_DELAY + DRAINGATE_DRAIN_TIMEOUT + DRAINGATE_HOOKS_TIMEOUT after it.",
  fix: 'Raise terminationGracePeriodSeconds (and DRAINGATE_GRACE_PERIOD to the same value) above the budget, or lower DRAINGATE_MAX_DELAY / DRAINGATE_DRAIN_TIMEOUT / DRAINGATE_HOOKS_TIMEOUT.',
  reasoning:
    "@draingate/core checks maxDelay + drainTimeout + hooksTimeout < gracePeriod at start, but gracePeriod is what DRAINGATE_GRACE_PERIOD says (default 30s), not the pod's real deadline. doctor runs core's own check (resolveConfig) with terminationGracePeriodSeconds (default 30) less any fixed preStop sleep, which runs before SIGTERM on the same clock. Like core, it reports the budget only once the rest of the environment is valid (draingate-config-invalid reports the rest).",
  timeline: OLD_POD,
  check(ctx, report) {
    // The sidecar's case first: the order these findings were reported in before the rules had modules.
    checkSidecarPreStop(ctx, report);
    checkPod(ctx, report);
  },
});
