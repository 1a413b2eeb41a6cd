import { formatDuration } from '@draingate/core/internal';
import { terminationGrace } from '../context.js';
import { preStopSleep } from '../pod.js';
import { routingWindowMs, routingWindowText } from '../routing-window.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

export const prestopSleepTooLong: WorkloadRule = workloadRule({
  id: 'prestop-sleep-too-long',
  severity: 'warning',
  title: 'a fixed preStop sleep longer than needed',
  why: 'A preStop sleep delays SIGTERM by a fixed time on every pod deletion: too long slows every rollout and node drain and eats the grace period; with draingate it is redundant, because draining already waits for evidence that the LB has let go.',
  fix: `With draingate: preStop: { httpGet: { path: /prestop, port: <management port> } } (answers on evidence). Without: keep the sleep at the controller's lag plus the LB's propagation bound (ALB ${formatDuration(routingWindowMs('alb'))}, NLB ${formatDuration(routingWindowMs('nlb'))}) and below terminationGracePeriodSeconds.`,
  reasoning:
    'The sleep covers the gap between t0 and deregistration by guessing. draingate measures that gap instead and ends draining as soon as it is over, bounded by [minDelay, maxDelay].',
  timeline: OLD_POD,
  check(ctx, report) {
    const sleep = ctx.app ? preStopSleep(ctx.app) : null;
    if (!sleep) return;
    const dg = ctx.draingate;
    const tgps = terminationGrace(ctx).seconds;
    const nlb = ctx.loadBalancers.some((lb) => lb.type === 'nlb');
    // Without draingate the sleep is what covers the controller's lag and the LB's propagation bound.
    const needed = dg ? 0 : routingWindowMs(nlb ? 'nlb' : 'alb') / 1000;
    if (sleep.seconds > needed || sleep.seconds >= tgps) {
      report(
        ctx.workload,
        sleep.field,
        dg
          ? `preStop sleeps ${sleep.seconds} s before SIGTERM although the app drains on evidence (draingate): the sleep only delays every shutdown.`
          : `preStop sleeps ${sleep.seconds} s; ${sleep.seconds >= tgps ? `that is not less than terminationGracePeriodSeconds ${tgps}` : `the ${nlb ? 'NLB' : 'ALB'} may route new requests for ${routingWindowText(nlb ? 'nlb' : 'alb')} after the deletion`}.`,
      );
    }
  },
});
