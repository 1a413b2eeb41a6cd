/**
 * How long after a pod's deletion a load balancer may still send it new requests: the controller's lag before it
 * calls DeregisterTargets, plus the load balancer type's propagation bound after it (core's `LB_TYPES`, the one
 * definition the sidecar, doctor and the kit share). draingate's `maxDelay` must cover it, because when no evidence
 * ends draining sooner, `maxDelay` is when the app stops serving.
 */
import type { LbType } from '@draingate/core';
import { formatDuration, LB_TYPES } from '@draingate/core/internal';

/**
 * The lag doctor assumes between a pod's deletion and the AWS Load Balancer Controller's DeregisterTargets. Not a
 * documented bound: users saw the target `draining` 2 s after the deletion (aws-load-balancer-controller issue
 * #2366), DESIGN §1 assumes 1-10 s, and a busy controller can be slower (it runs 3 TargetGroupBinding reconciles at
 * a time: aws-load-balancer-controller docs/deploy/configurations.md).
 */
export const ASSUMED_CONTROLLER_LAG_MS = 10_000;

/** Controller lag + the load balancer type's propagation bound, in milliseconds. */
export function routingWindowMs(type: LbType): number {
  return ASSUMED_CONTROLLER_LAG_MS + LB_TYPES[type].propagationBoundMs;
}

/** `controller lag 10s (assumed) + ALB propagation bound 30s = 40s`: the arithmetic, as findings show it. */
export function routingWindowText(type: LbType): string {
  return `controller lag ${formatDuration(ASSUMED_CONTROLLER_LAG_MS)} (assumed) + ${type.toUpperCase()} propagation bound ${formatDuration(LB_TYPES[type].propagationBoundMs)} = ${formatDuration(routingWindowMs(type))}`;
}
