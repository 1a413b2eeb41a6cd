import { coreConfigRefusal } from '../draingate-env.js';
import { envOf } from '../pod.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

export const draingateConfigInvalid: WorkloadRule = workloadRule({
  id: 'draingate-config-invalid',
  severity: 'error',
  title: "the app container's DRAINGATE_* environment would make @draingate/core refuse to start",
  why: 'core validates its configuration at start-up and exits with a DraingateConfigError: the pod crash-loops and the rollout stalls.',
  fix: 'Use durations with units ("20s"), whole numbers where a count is expected, known variable names only, minDelay ≤ maxDelay, and DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT + DRAINGATE_HOOKS_TIMEOUT < DRAINGATE_GRACE_PERIOD (default 30s).',
  reasoning:
    'Bare numbers are rejected because nobody can tell seconds from milliseconds; unknown DRAINGATE_* names are rejected because a typo would silently fall back to a default. The budget check uses DRAINGATE_GRACE_PERIOD, so raising only terminationGracePeriodSeconds (e.g. for an NLB) is not enough.',
  timeline: OLD_POD,
  // core's own resolveConfig on the container's env, so doctor cannot disagree with it. Like core at start-up,
  // this stops at the first problem.
  check(ctx, report) {
    const dg = ctx.draingate;
    const app = ctx.app;
    if (!dg || !app) return;
    const refusal = coreConfigRefusal(envOf(app.spec).env);
    if (!refusal) return;
    const { variable } = refusal;
    const unset = variable !== null && (dg.env[variable] ?? '') === '';
    const field = variable === null ? `${app.path}.env` : `${app.path}.env[name=${variable}]${unset ? ' (not set)' : ''}`;
    report(ctx.workload, field, `core refuses to start (DraingateConfigError): ${refusal.error.message}`);
  },
});
