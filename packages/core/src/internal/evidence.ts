import { formatDuration } from './duration.js';
import { MIN_HISTORY_SECONDS, MIN_STEADINESS, type NodesVerdict } from './lb-nodes.js';
import type { LbType } from './lb-types.js';

/** What ended draining, strongest first. */
export type EvidenceKind = 'sidecar' | 'lb-health-checks' | 'lb-health-checks-stopped' | 'quiet-period' | 'fixed-delay' | 'max-delay';

export interface DrainEvidence {
  kind: EvidenceKind;
  /**
   * `strong`: the LB said so (the sidecar, or failing health checks it kept sending); `weak`: inferred from
   * silence (of the application's traffic, or of the LB's health checks); `none`: a timer.
   */
  strength: 'strong' | 'weak' | 'none';
  detail: string;
  /** Milliseconds after draining began. */
  afterMs: number;
}

const STRENGTH: Record<EvidenceKind, DrainEvidence['strength']> = {
  sidecar: 'strong',
  'lb-health-checks': 'strong',
  'lb-health-checks-stopped': 'weak',
  'quiet-period': 'weak',
  'fixed-delay': 'none',
  'max-delay': 'none',
};

/** What the sidecar said, from answers fetched after draining began (docs/sidecar-contract.md). */
export interface SidecarEvidence {
  /** `deregistered: true`: the propagation bound has passed since the API showed the target draining. */
  deregistered: boolean;
  /** From sidecars that report it: what the LB's API shows (epoch ms), `null` from older sidecars. */
  deregistration: { observable: boolean; startedAt: number | null; lbType: LbType | null; propagationBoundMs: number } | null;
}

export interface EvidenceInputs {
  now: number;
  drainStartedAt: number;
  minDelay: number;
  maxDelay: number;
  delay: number | null;
  /** Per LB node: which of the nodes that routed here have stopped (lb-nodes.ts). */
  nodes: Pick<NodesVerdict, 'stoppedAt' | 'kind' | 'detail'>;
  /** `null` without a sidecar, or before an answer fetched after draining began. */
  sidecar: SidecarEvidence | null;
}

/**
 * Whether a quiet period of the whole traffic could count at all (shown on `/status`; the evidence itself is per
 * LB node): the traffic before draining must have been steady and fast enough to predict at least `minRequests`
 * requests in the quiet period.
 */
export function quietSignificance(
  before: { rate: number; steadiness: number; spanSeconds: number },
  quietPeriod: number,
  minRequests: number,
): { significant: boolean; expected: number } {
  const expected = before.rate * (quietPeriod / 1000);
  const significant = expected >= minRequests && before.steadiness >= MIN_STEADINESS && before.spanSeconds >= MIN_HISTORY_SECONDS;
  return { significant, expected };
}

/**
 * Decides whether draining may end now, and on what evidence (DESIGN §3). Pure: the drain watch calls it on a
 * timer and whenever an input changes. Nothing ends draining before `minDelay`; `maxDelay` always does. In between:
 * - the sidecar's `deregistered` (the sidecar waited the LB type's propagation bound since the API showed the target
 *   draining): `sidecar`;
 * - every LB node that routed here stopped: by failing health checks, `lb-health-checks` (the LB said so); by
 *   silence (of its requests or of its checks), weak evidence, unless the sidecar shows the API draining: then
 *   `sidecar` (deregistration started, and every node let go). While a sidecar that can see the API says
 *   deregistration has not started, silence is a coincidence and does not count;
 * - `delay`: `fixed-delay`.
 */
export function evaluateEvidence(i: EvidenceInputs): DrainEvidence | null {
  const elapsed = i.now - i.drainStartedAt;
  const make = (kind: EvidenceKind, detail: string): DrainEvidence => ({ kind, strength: STRENGTH[kind], detail, afterMs: elapsed });
  if (elapsed >= i.maxDelay) return make('max-delay', `no evidence of deregistration within maxDelay ${formatDuration(i.maxDelay)}`);
  if (elapsed < i.minDelay) return null;
  const sc = i.sidecar;
  const api = sc?.deregistration ?? null;
  if (sc?.deregistered) {
    const bound = api ? `, and the ${formatDuration(api.propagationBoundMs)} propagation bound has passed since` : '';
    return make('sidecar', `the sidecar reports the target deregistered from every target group${bound}`);
  }
  const n = i.nodes;
  if (n.stoppedAt !== null && i.now >= n.stoppedAt && n.kind !== null) {
    if (n.kind === 'lb-health-checks') return make('lb-health-checks', n.detail);
    if (api?.startedAt != null) {
      return make('sidecar', `the API shows the target draining since ${new Date(api.startedAt).toISOString()}, and ${n.detail}`);
    }
    if (!api?.observable) return make(n.kind, n.detail);
  }
  if (i.delay !== null && elapsed >= i.delay) return make('fixed-delay', `fixed delay ${formatDuration(i.delay)} elapsed`);
  return null;
}
