import { str } from '../objects.js';
import { preStopSleep } from '../pod.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { OLD_POD } from '../timelines.js';

const SHELL_LESS = /distroless|cgr\.dev\/|chainguard|(^|\/)scratch(:|$)|-static(:|@|$)/i;

export const prestopSleepNoShell: WorkloadRule = workloadRule({
  id: 'prestop-sleep-no-shell',
  severity: 'error',
  title: 'preStop runs sleep/sh in an image that has no shell',
  why: 'Distroless, Chainguard and scratch images have no sh and no sleep: the exec hook fails at once (FailedPreStopHook), the kubelet sends SIGTERM immediately, and the app stops while the LB still routes to it: 502.',
  fix: "Use lifecycle.preStop.httpGet to the app's /prestop (draingate), or the built-in lifecycle.preStop.sleep: { seconds: N } (Kubernetes ≥ 1.30).",
  reasoning: 'An exec hook runs inside the container image; a failed hook is logged and ignored.',
  timeline: OLD_POD,
  check(ctx, report) {
    const app = ctx.app;
    const sleep = app ? preStopSleep(app) : null;
    if (!app || !sleep?.exec) return;
    const image = str(app.spec.image) ?? '';
    if (SHELL_LESS.test(image)) {
      report(
        ctx.workload,
        sleep.field,
        `preStop runs ${JSON.stringify(sleep.exec.join(' '))} but image ${image} has no shell or sleep binary.`,
      );
    }
  },
});
