import type { EvidenceInputs, SidecarEvidence } from '../../src/internal/evidence.js';
import type { NodesVerdict, StopKind } from '../../src/internal/lb-nodes.js';

/** Evidence inputs at drain start with nothing observed yet: minDelay 1 s, maxDelay 10 s, no node, no sidecar. */
export const EVIDENCE_BASE: EvidenceInputs = {
  now: 0,
  drainStartedAt: 0,
  minDelay: 1000,
  maxDelay: 10_000,
  delay: null,
  nodes: { stoppedAt: null, kind: null, detail: 'no LB node or peer routed here' },
  sidecar: null,
};

/** Every node that routed here stopped at `at`, the weakest of them by `kind`. */
export function nodesStopped(at: number, kind: StopKind): Pick<NodesVerdict, 'stoppedAt' | 'kind' | 'detail'> {
  return { stoppedAt: at, kind, detail: `every LB node and peer that routed here has stopped (${kind})` };
}

/** A sidecar answer fetched during draining: `startedAt` (epoch ms) is when the API first showed the target draining. */
export function sidecarSays(
  startedAt: number | null,
  o: { bound?: number; deregistered?: boolean; observable?: boolean } = {},
): SidecarEvidence {
  return {
    deregistered: o.deregistered ?? false,
    deregistration: { observable: o.observable ?? true, startedAt, lbType: 'alb', propagationBoundMs: o.bound ?? 30_000 },
  };
}

/** An answer from a sidecar older than the `deregistration` field. */
export function legacySidecar(deregistered: boolean): SidecarEvidence {
  return { deregistered, deregistration: null };
}
