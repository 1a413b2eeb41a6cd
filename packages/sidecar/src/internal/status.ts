import type { SidecarDeregistration, SidecarStatus } from '@draingate/core';
import type { V1PodCondition } from '@kubernetes/client-node';
import type { SourceKind } from './config.js';
import type { DrainTrigger, Phase, PhaseState } from './phases.js';
import type { RegistrationStall } from './registration-watch.js';
import type { Observation, TargetReport } from './sources.js';

/**
 * The body of `GET /v1/status`: core's contract (`SidecarStatus`, docs/sidecar-contract.md) plus the sidecar's own
 * fields. It extends core's type, so a change to the contract breaks this build instead of drifting silently.
 */
export interface SidecarStatusBody extends SidecarStatus {
  /** Narrower than core's fields: the sources this sidecar has, and targets whose reason/description are always set. */
  source: SourceKind;
  targets: TargetReport[];
  /** Extensions (not read by core). */
  phase: Phase;
  detail: string | null;
  /** `false` when `/v1/prestop` would fall back to the fixed delay (albc source, 403/AccessDenied, repeated failures). */
  evidenceAvailable: boolean;
  draining: { startedAt: string; trigger: DrainTrigger; deadline: string } | null;
  /** Why gate writes stopped for good (pod gone or replaced), or null. */
  writesStopped: string | null;
  /** Set while the pod is ContainersReady but its target is unknown to the load balancer (registration-watch.ts). */
  registrationStalled?: RegistrationStall | null;
  /** Always present in this sidecar's answers (optional in the contract only for older sidecars). */
  deregistration: SidecarDeregistration;
}

/** RFC 3339 to the second, or null. */
export function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One pod's state, as the status body is made from it. */
export interface StatusInput {
  source: SourceKind;
  conditionType: string;
  /** The readiness-gate condition as last seen on the pod. */
  condition: V1PodCondition | null;
  phase: PhaseState;
  /** The drain's deadline for `/v1/prestop` (epoch ms); read only while draining. */
  deadline: () => number;
  observation: Observation | null;
  lastError: { message: string; at: string } | null;
  evidenceAvailable: boolean;
  writesStopped: string | null;
  registrationStalled: RegistrationStall | null;
  deregistration: SidecarDeregistration;
}

export function statusBody(s: StatusInput): SidecarStatusBody {
  const cur = s.condition;
  const status = cur?.status === 'True' || cur?.status === 'False' ? cur.status : 'Unknown';
  const drain = s.phase.name === 'draining' ? s.phase : null;
  const deregisteredAt = drain?.deregisteredAt ?? null;
  return {
    apiVersion: 'draingate.io/v1',
    source: s.source,
    gate: {
      conditionType: s.conditionType,
      status,
      reason: cur?.reason ?? null,
      message: cur?.message ?? null,
      lastTransitionTime: iso(cur?.lastTransitionTime),
    },
    deregistered: deregisteredAt !== null,
    deregisteredAt: deregisteredAt === null ? null : iso(new Date(deregisteredAt)),
    targets: s.observation?.targets ?? [],
    lastError: s.lastError,
    phase: s.phase.name,
    detail: s.observation?.detail ?? null,
    evidenceAvailable: s.evidenceAvailable,
    draining: drain
      ? {
          startedAt: iso(new Date(drain.startedAt)) as string,
          trigger: drain.trigger,
          deadline: iso(new Date(s.deadline())) as string,
        }
      : null,
    writesStopped: s.writesStopped,
    registrationStalled: s.registrationStalled,
    deregistration: s.deregistration,
  };
}
