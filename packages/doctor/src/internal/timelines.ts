/** The parts of the deploy timeline the rules protect (DESIGN §1), quoted by `draingate doctor --explain`. */
import { SIDECAR_GATE } from './sidecar.js';

export const OLD_POD: string = `Old pod (scale-in, rollout, node drain), DESIGN §1:
  t0      pod deleted ──► kubelet runs preStop, then SIGTERM; the grace-period clock starts
  t0      endpoints change ──► LB controller (1-10 s) ──► LB deregisters the target
          (ALB: seconds; NLB: up to ~2 min until every node stops sending new connections)
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
  labelled before the pod was created) or draingate's ${SIDECAR_GATE} (written by the sidecar).`;

/** For the rules about the input itself. */
export const INPUT_PROBLEM = '(none: input problem)';
