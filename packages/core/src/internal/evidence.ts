import { formatDuration } from './duration.js';

/** What ended draining, strongest first. */
export type EvidenceKind = 'sidecar' | 'lb-health-checks' | 'quiet-period' | 'fixed-delay' | 'max-delay';

export interface DrainEvidence {
  kind: EvidenceKind;
  /** `strong`: the LB said so; `weak`: inferred from silence; `none`: a timer. */
  strength: 'strong' | 'weak' | 'none';
  detail: string;
  /** Milliseconds after draining began. */
  afterMs: number;
}

const STRENGTH: Record<EvidenceKind, DrainEvidence['strength']> = {
  sidecar: 'strong',
  'lb-health-checks': 'strong',
  'quiet-period': 'weak',
  'fixed-delay': 'none',
  'max-delay': 'none',
};

interface SourceStats {
  pass: number;
  fail: number;
  failSinceDraining: number;
  /** When this source's failures since draining reached the threshold (-1: not yet). */
  thresholdAt: number;
  lastAt: number;
  /** Smallest gap seen between two checks from this source: its health-check interval. */
  intervalMs: number | null;
}

/** A source (LB node address) counts as still checking us while it was seen within this many of its intervals. */
const SOURCE_LIVENESS_INTERVALS = 3;
const SOURCE_LIVENESS_MIN_MS = 10_000;

/**
 * Observes the load balancer's health checks. An ALB or NLB checks every target from several nodes (one or
 * more per zone), each keeping its own count; the target is out of rotation once *every* node that is
 * still checking has seen `unhealthyThreshold` failures.
 */
export class LbHealthChecks {
  readonly sources: Map<string, SourceStats> = new Map();
  pass = 0;
  fail = 0;

  constructor(readonly threshold: number) {}

  record(source: string, ok: boolean, now: number, draining: boolean): void {
    let s = this.sources.get(source);
    if (!s) {
      s = { pass: 0, fail: 0, failSinceDraining: 0, thresholdAt: -1, lastAt: -1, intervalMs: null };
      this.sources.set(source, s);
    }
    if (s.lastAt >= 0) {
      const gap = now - s.lastAt;
      if (gap > 0 && (s.intervalMs === null || gap < s.intervalMs)) s.intervalMs = gap;
    }
    s.lastAt = now;
    if (ok) {
      s.pass++;
      this.pass++;
    } else {
      s.fail++;
      this.fail++;
      if (draining && ++s.failSinceDraining === this.threshold) s.thresholdAt = now;
    }
  }

  /** Sources that are still checking at `now`. */
  active(now: number): [string, SourceStats][] {
    return [...this.sources].filter(([, s]) => {
      // A node that already took us out stays counted even if it stops checking a draining target.
      if (s.thresholdAt >= 0) return true;
      const window = Math.max(SOURCE_LIVENESS_MIN_MS, SOURCE_LIVENESS_INTERVALS * (s.intervalMs ?? SOURCE_LIVENESS_MIN_MS));
      return now - s.lastAt <= window;
    });
  }

  /**
   * When every source still checking had answered `threshold` failing checks since draining began: the
   * latest of those moments, with a description. `null` while any active source has not.
   */
  unhealthy(now: number): { since: number; detail: string } | null {
    const active = this.active(now);
    if (active.length === 0 || !active.every(([, s]) => s.thresholdAt >= 0)) return null;
    return {
      since: Math.max(...active.map(([, s]) => s.thresholdAt)),
      detail: `${active.length} health-check source(s) each answered ${this.threshold} failing checks since draining began`,
    };
  }

  toJSON(): object {
    return {
      pass: this.pass,
      fail: this.fail,
      sources: Object.fromEntries(
        [...this.sources].map(([k, s]) => [
          k,
          {
            pass: s.pass,
            fail: s.fail,
            failSinceDraining: s.failSinceDraining,
            lastAt: s.lastAt >= 0 ? new Date(s.lastAt).toISOString() : null,
            intervalMs: s.intervalMs,
          },
        ]),
      ),
    };
  }
}

export interface EvidenceInputs {
  now: number;
  drainStartedAt: number;
  minDelay: number;
  maxDelay: number;
  delay: number | null;
  quietPeriod: number;
  quietMinRequests: number;
  /** Traffic seen before draining began (see TrafficRate.snapshot). */
  before: { rate: number; steadiness: number; spanSeconds: number };
  /** Epoch ms of the last application request, or -1. */
  lastRequestAt: number;
  sidecarDeregistered: boolean;
  lbUnhealthy: { since: number; detail: string } | null;
  /** Time for the LB to act on the failing answer it just received. */
  lbMargin: number;
}

/** Below this share of non-empty seconds, traffic was bursty: silence proves nothing. */
export const MIN_STEADINESS = 0.8;
/** Fewer seconds of history than this predict nothing. */
export const MIN_HISTORY_SECONDS = 3;

/**
 * Whether a quiet period can count at all: the traffic before draining must have been steady and fast enough
 * to predict at least `minRequests` requests in the quiet period.
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
 * Decides whether draining may end now, and on what evidence (DESIGN §3). Pure: the gate calls it on a
 * timer and whenever an input changes. Nothing ends draining before `minDelay`; `maxDelay` always does.
 */
export function evaluateEvidence(i: EvidenceInputs): DrainEvidence | null {
  const elapsed = i.now - i.drainStartedAt;
  const make = (kind: EvidenceKind, detail: string): DrainEvidence => ({ kind, strength: STRENGTH[kind], detail, afterMs: elapsed });
  if (elapsed >= i.maxDelay) return make('max-delay', `no evidence of deregistration within maxDelay ${formatDuration(i.maxDelay)}`);
  if (elapsed < i.minDelay) return null;
  if (i.sidecarDeregistered) return make('sidecar', 'the sidecar reports the target deregistered from every target group');
  if (i.lbUnhealthy !== null && i.now - i.lbUnhealthy.since >= i.lbMargin) {
    return make('lb-health-checks', `${i.lbUnhealthy.detail}, ${formatDuration(i.lbMargin)} ago or more`);
  }
  const q = quietSignificance(i.before, i.quietPeriod, i.quietMinRequests);
  if (q.significant) {
    // Silence counts from draining on: a pause before it says nothing about the LB's reaction.
    const silentFor = i.now - Math.max(i.lastRequestAt, i.drainStartedAt);
    if (silentFor >= i.quietPeriod) {
      return make(
        'quiet-period',
        `no new request for ${formatDuration(silentFor)} where ${q.expected.toFixed(1)} were expected at ${i.before.rate.toFixed(1)} req/s`,
      );
    }
  }
  if (i.delay !== null && elapsed >= i.delay) return make('fixed-delay', `fixed delay ${formatDuration(i.delay)} elapsed`);
  return null;
}
