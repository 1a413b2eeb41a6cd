import { formatDuration } from './duration.js';

/**
 * The load balancer's health checks as the app sees them: per source (LB node address, `Host`, path), their
 * answers, interval and regularity, and whether each source failed us or stopped checking since draining began.
 */

export interface SourceStats {
  /** The LB node: the source key's address part (`<address> <Host> <path>`). */
  node: string;
  pass: number;
  fail: number;
  failSinceDraining: number;
  /** When this source's failures since draining reached the threshold (-1: not yet). */
  thresholdAt: number;
  lastAt: number;
  /** Checks answered before draining began: the history its interval is learnt from. */
  checksBeforeDraining: number;
  /** The last gaps between two checks from this source (at most GAP_HISTORY), oldest first. */
  gaps: number[];
  /** The median of `gaps`: this source's health-check interval (null before its second check). */
  intervalMs: number | null;
  /** Every gap in `gaps` lies within REGULARITY of the median: the source checks like a clock. */
  regular: boolean;
}

/** A source (LB node address) counts as still checking us while it was seen within this many of its intervals... */
const SOURCE_LIVENESS_INTERVALS = 3;
/** ...and at least this long (also the interval assumed before a source's second check). */
const SOURCE_LIVENESS_MIN_MS = 10_000;
/** Gaps kept per source to learn its interval. */
const GAP_HISTORY = 8;
/** A source's silence is trusted only after this many checks before draining (so at least 2 gaps)... */
export const SILENCE_MIN_CHECKS = 3;
/** ...that were regular: every gap within this factor of the median gap (either way). */
export const SILENCE_REGULARITY = 1.5;
/** A source that checked regularly has stopped once silent for this many of its intervals. */
export const SILENCE_INTERVALS = 2;

/** One health-check source (LB node address, `Host`, path) as `GET /status` shows it. */
export interface LbSourceReport {
  pass: number;
  fail: number;
  failSinceDraining: number;
  /** ISO time of its last check, or `null`. */
  lastAt: string | null;
  /** Its health-check interval (the median of its last gaps), `null` before its second check. */
  intervalMs: number | null;
  /** Every recent gap lies within ×1.5 of that median: its silence can count as evidence. */
  regular: boolean;
  checksBeforeDraining: number;
}

/** The LB health checks the gate observed: `lbHealthChecks` in `GET /status`. */
export interface LbHealthCheckReport {
  pass: number;
  fail: number;
  /** Keyed by source: `<LB node address> <Host> <path>`. */
  sources: Record<string, LbSourceReport>;
}

/**
 * The source-liveness rule: a health-check source counts as still checking at `now` while its last check
 * (`lastAt`, epoch ms) lies within 3 of its intervals, and at least 10 s (an unknown interval counts as 10 s).
 * A `lastAt` that is `NaN` (e.g. `Date.parse` of a missing time) is not live.
 */
export function isLbSourceLive(lastAt: number, intervalMs: number | null, now: number): boolean {
  const window = Math.max(SOURCE_LIVENESS_MIN_MS, SOURCE_LIVENESS_INTERVALS * (intervalMs ?? SOURCE_LIVENESS_MIN_MS));
  return now - lastAt <= window;
}

/** Why the LB has let go of this target, as far as its health checks tell. */
export interface LbVerdict {
  /** When the last source still counted went out of rotation (`lbMargin` is added on top). */
  since: number;
  detail: string;
  /** Sources whose silence (not their failing checks) took them out: evidence `lb-health-checks-stopped`. */
  stoppedSources: number;
}

/**
 * Observes the load balancer's health checks. An ALB or NLB checks every target from several nodes (one or
 * more per zone), each keeping its own count; the target is out of rotation once *every* node that is
 * still checking has seen `unhealthyThreshold` failures — or has stopped checking altogether, which an LB
 * does once the target is deregistered (`draining`) and which is how HAProxy's `maint` behaves.
 */
export class LbHealthChecks {
  readonly sources: Map<string, SourceStats> = new Map();
  pass = 0;
  fail = 0;

  constructor(readonly threshold: number) {}

  record(source: string, ok: boolean, now: number, draining: boolean): void {
    let s = this.sources.get(source);
    if (!s) {
      s = {
        node: nodeOfSource(source),
        pass: 0,
        fail: 0,
        failSinceDraining: 0,
        thresholdAt: -1,
        lastAt: -1,
        checksBeforeDraining: 0,
        gaps: [],
        intervalMs: null,
        regular: false,
      };
      this.sources.set(source, s);
    }
    if (s.lastAt >= 0) {
      const gap = now - s.lastAt;
      if (gap > 0) learnGap(s, gap);
    }
    s.lastAt = now;
    if (!draining) s.checksBeforeDraining++;
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
    return [...this.sources].filter(([, s]) => s.thresholdAt >= 0 || live(s, now));
  }

  /**
   * When every source still checking had answered `threshold` failing checks since draining began: the
   * latest of those moments, with a description. `null` while any active source has not. (Silence is not
   * counted here; see `verdict`.)
   */
  unhealthy(now: number): { since: number; detail: string } | null {
    const v = this.verdict(now, Number.POSITIVE_INFINITY, -1);
    return v && { since: v.since, detail: v.detail };
  }

  /**
   * Whether the LB has let go of this target since draining began at `drainStartedAt`. Each source counts
   * as out of rotation once it answered `threshold` failing checks since draining began, or once it has
   * **stopped checking**: a source that checked regularly (SILENCE_MIN_CHECKS before draining, gaps within
   * SILENCE_REGULARITY of their median), was still on schedule when draining began, and has now been silent
   * for SILENCE_INTERVALS of its intervals, counted from the later of draining, its last check and the last
   * application request (`lastRequestAt`: a request after the checks stopped shows the LB still routes here).
   * A source still checking, or whose silence cannot be trusted and is still recent, keeps the answer `null`;
   * one that had fallen silent before draining is forgotten. `null` also when no source counts at all.
   */
  verdict(now: number, drainStartedAt: number, lastRequestAt: number): LbVerdict | null {
    return verdictOf(this.sources.values(), this.threshold, now, drainStartedAt, lastRequestAt);
  }

  /** The LB nodes (addresses) whose health checks were seen. */
  nodes(): Set<string> {
    return new Set([...this.sources.values()].map((s) => s.node));
  }

  /**
   * {@link verdict} for one LB node's sources (its target groups' checks), with that node's own last request:
   * `routing` while any of its sources is still checking on schedule, `none` when none of them counts (it never
   * checked, or stopped before draining began).
   */
  nodeVerdict(node: string, now: number, drainStartedAt: number, lastRequestAt: number): LbVerdict | 'routing' | 'none' {
    const mine = [...this.sources.values()].filter((s) => s.node === node);
    const v = verdictOf(mine, this.threshold, now, drainStartedAt, lastRequestAt);
    if (v !== null) return v;
    return mine.some((s) => s.thresholdAt >= 0 || live(s, now) || waiting(s, now, drainStartedAt, lastRequestAt)) ? 'routing' : 'none';
  }

  toJSON(): LbHealthCheckReport {
    return {
      pass: this.pass,
      fail: this.fail,
      sources: Object.fromEntries(
        [...this.sources].map(([k, s]): [string, LbSourceReport] => [
          k,
          {
            pass: s.pass,
            fail: s.fail,
            failSinceDraining: s.failSinceDraining,
            lastAt: s.lastAt >= 0 ? new Date(s.lastAt).toISOString() : null,
            intervalMs: s.intervalMs,
            regular: s.regular,
            checksBeforeDraining: s.checksBeforeDraining,
          },
        ]),
      ),
    };
  }
}

/** The verdict over some health-check sources (see {@link LbHealthChecks.verdict}). */
function verdictOf(
  sources: Iterable<SourceStats>,
  threshold: number,
  now: number,
  drainStartedAt: number,
  lastRequestAt: number,
): LbVerdict | null {
  let since = -1;
  let failed = 0;
  let stopped = 0;
  let longestSilence = 0;
  for (const s of sources) {
    if (s.thresholdAt >= 0) {
      failed++;
      since = Math.max(since, s.thresholdAt);
      continue;
    }
    const stopAt = silentSince(s, drainStartedAt, lastRequestAt);
    if (stopAt !== null) {
      if (now < stopAt) return null; // on schedule so far: the LB may still be checking (and routing)
      stopped++;
      since = Math.max(since, stopAt);
      longestSilence = Math.max(longestSilence, now - Math.max(drainStartedAt, s.lastAt));
      continue;
    }
    if (live(s, now)) return null; // still checking, not yet failed enough
  }
  if (failed + stopped === 0) return null;
  const parts: string[] = [];
  if (failed > 0) parts.push(`${failed} health-check source(s) each answered ${threshold} failing checks since draining began`);
  if (stopped > 0) {
    parts.push(
      `${stopped} health-check source(s) that checked at a regular interval stopped checking during draining (silent ${formatDuration(longestSilence)}, ≥ ${SILENCE_INTERVALS} intervals)`,
    );
  }
  return { since, detail: parts.join('; '), stoppedSources: stopped };
}

function learnGap(s: SourceStats, gap: number): void {
  s.gaps.push(gap);
  if (s.gaps.length > GAP_HISTORY) s.gaps.shift();
  const sorted = [...s.gaps].sort((a, b) => a - b);
  // The upper median: with an even count, the longer of the two middle gaps (the cautious side).
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  s.intervalMs = median;
  s.regular = sorted[0]! * SILENCE_REGULARITY >= median && sorted[sorted.length - 1]! <= median * SILENCE_REGULARITY;
}

function nodeOfSource(source: string): string {
  const space = source.indexOf(' ');
  return space === -1 ? source : source.slice(0, space);
}

/** A source on schedule: its silence may still turn out to be a stop (not yet SILENCE_INTERVALS long). */
function waiting(s: SourceStats, now: number, drainStartedAt: number, lastRequestAt: number): boolean {
  const stopAt = silentSince(s, drainStartedAt, lastRequestAt);
  return stopAt !== null && now < stopAt;
}

function live(s: SourceStats, now: number): boolean {
  return isLbSourceLive(s.lastAt, s.intervalMs, now);
}

/**
 * From when on a silent source counts as having stopped checking, or `null` when its silence cannot count:
 * too little or irregular history before draining, or already off schedule when draining began (a node that
 * went away before says nothing about this drain).
 */
function silentSince(s: SourceStats, drainStartedAt: number, lastRequestAt: number): number | null {
  if (!Number.isFinite(drainStartedAt) || s.checksBeforeDraining < SILENCE_MIN_CHECKS || !s.regular || s.intervalMs === null) {
    return null;
  }
  const window = SILENCE_INTERVALS * s.intervalMs;
  if (s.lastAt < drainStartedAt && drainStartedAt - s.lastAt >= window) return null;
  return Math.max(drainStartedAt, s.lastAt, lastRequestAt) + window;
}
