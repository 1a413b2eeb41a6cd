/**
 * The JSON contract of the sidecar's `GET /v1/status` (documented in docs/sidecar-contract.md).
 * Core only relies on `apiVersion` and `deregistered`; the rest is shown on `/status`.
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
  /** `true` once every target is draining/unused/gone in every target group and the propagation margin has passed. */
  deregistered: boolean;
  deregisteredAt: string | null;
  targets: SidecarTarget[];
  lastError: { message: string; at: string } | null;
}

/** Validates the parts of a sidecar answer that core acts on. Returns an error message, or `null` when valid. */
export function checkSidecarStatus(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return 'the body is not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.apiVersion !== 'draingate.io/v1') return `unsupported apiVersion ${JSON.stringify(v.apiVersion)} (expected "draingate.io/v1")`;
  if (typeof v.deregistered !== 'boolean') return '"deregistered" is not a boolean';
  if (v.targets !== undefined && !Array.isArray(v.targets)) return '"targets" is not an array';
  return null;
}
