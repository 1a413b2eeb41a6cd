import type { LbType } from './lb-types.js';

/**
 * The JSON contract of the sidecar's `GET /v1/status` (documented in docs/sidecar-contract.md).
 * Core acts on `apiVersion`, `deregistered` and `deregistration`; the rest is shown on `/status`.
 */
export interface SidecarTarget {
  targetGroupArn: string;
  /** Target id: an IP (ip mode) or an instance id (instance mode). */
  id: string;
  port: number;
  /** ELBv2 TargetHealth.State, or `notRegistered` when the target is absent from the group. */
  state: 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'notRegistered';
  reason?: string | null;
  description?: string | null;
}

/**
 * What the load balancer's API tells about this pod's deregistration. The API shows `draining` as soon as
 * DeregisterTargets is processed, while the LB's nodes may route new requests here for a while longer (up to the
 * LB type's propagation bound): `startedAt` says deregistration started, not that routing stopped.
 */
export interface SidecarDeregistration {
  /**
   * The sidecar can see deregistration in the API (source `aws`, permitted, answering). `false`: `startedAt` stays
   * `null` and says nothing; core goes by its own evidence.
   */
  observable: boolean;
  /** When the API first showed every target of this pod draining, unused or not registered; `null`: not (yet). */
  startedAt: string | null;
  /** The load balancer type of the pod's target groups, `null` when unknown. */
  lbType: LbType | null;
  /** How long after `startedAt` LB nodes may still send new requests here (the sidecar's `--propagation-bound`). */
  propagationBoundMs: number;
}

export interface SidecarStatus {
  apiVersion: 'draingate.io/v1';
  /** Where the target health comes from. */
  source: 'aws' | 'app' | 'albc';
  gate: {
    conditionType: string;
    status: 'True' | 'False' | 'Unknown';
    reason: string | null;
    message: string | null;
    lastTransitionTime: string | null;
  };
  /** `true` once `deregistration.propagationBoundMs` has passed since `deregistration.startedAt`. */
  deregistered: boolean;
  deregisteredAt: string | null;
  targets: SidecarTarget[];
  lastError: { message: string; at: string } | null;
  /** Absent from sidecars older than the field: core then goes by `deregistered` alone. */
  deregistration?: SidecarDeregistration;
}

/** Validates the parts of a sidecar answer that core acts on. Returns an error message, or `null` when valid. */
export function checkSidecarStatus(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return 'the body is not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.apiVersion !== 'draingate.io/v1') return `unsupported apiVersion ${JSON.stringify(v.apiVersion)} (expected "draingate.io/v1")`;
  if (typeof v.deregistered !== 'boolean') return '"deregistered" is not a boolean';
  if (v.targets !== undefined && !Array.isArray(v.targets)) return '"targets" is not an array';
  if (v.deregistration !== undefined) {
    const d = v.deregistration as Record<string, unknown> | null;
    if (d === null || typeof d !== 'object') return '"deregistration" is not an object';
    if (typeof d.observable !== 'boolean') return '"deregistration.observable" is not a boolean';
    if (d.startedAt !== null && (typeof d.startedAt !== 'string' || Number.isNaN(Date.parse(d.startedAt)))) {
      return '"deregistration.startedAt" is neither null nor a date';
    }
    if (d.lbType !== null && d.lbType !== 'alb' && d.lbType !== 'nlb') return '"deregistration.lbType" is not "alb", "nlb" or null';
    if (typeof d.propagationBoundMs !== 'number' || !(d.propagationBoundMs >= 0)) {
      return '"deregistration.propagationBoundMs" is not a number of milliseconds';
    }
  }
  return null;
}
