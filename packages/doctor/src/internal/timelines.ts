/** The parts of the deploy timeline the rules protect (DESIGN §1), quoted by `draingate doctor --explain`. */
import { formatDuration, LB_TYPES } from '@draingate/core/internal';
import { ASSUMED_CONTROLLER_LAG_MS } from './routing-window.js';
import { SIDECAR_GATE } from './sidecar.js';

export const OLD_POD: string = `Old pod (scale-in, rollout, node drain), DESIGN §1:
  t0      pod deleted ──► kubelet runs preStop, then SIGTERM; the grace-period clock starts
  t0      endpoints change ──► LB controller (assumed ≤ ${formatDuration(ASSUMED_CONTROLLER_LAG_MS)}) ──► DeregisterTargets (ip targets only)
          then LB nodes may still send new requests for up to the propagation bound
          (ALB ${formatDuration(LB_TYPES.alb.propagationBoundMs)}, NLB ${formatDuration(LB_TYPES.nlb.propagationBoundMs)}: core's LB_TYPES)
  t0..tD  the LB still sends NEW requests: the pod must keep serving them   ← draining (/readyz 503)
  tD      deregistration detected (sidecar, LB health checks, quiet, maxDelay)
  tD..+5s in-flight requests finish (drainTimeout), then hooks (hooksTimeout)
  t0+TGPS SIGKILL (terminationGracePeriodSeconds)`;

export const NEW_POD: string = `New pod (rollout), DESIGN §1:
  tN      container started; readinessProbe passes ──► Kubernetes: Ready
  tN+x    LB controller registers the target; LB health checks: healthy after healthy-threshold × interval
          ⇒ if Kubernetes counts the pod Ready at tN, the rollout deletes an old pod before the LB sends
            traffic to the new one: capacity drops, at worst to zero (502/503)
  Readiness gates make "Ready" wait for the LB: ALBC's target-health.elbv2.k8s.aws/<tgb> (ip mode, namespace
  labelled before the pod was created) or draingate's ${SIDECAR_GATE} (written by the sidecar; ip mode only, and
  only together with ALBC's gate: ALBC reconciles pod changes only for pods carrying its own gate).
  Instance targets are nodes: the LB reaches pods through kube-proxy, which routes to Ready pods only.`;

/** For the rules about the input itself. */
export const INPUT_PROBLEM = '(none: input problem)';
