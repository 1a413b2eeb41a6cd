import type { ResolvedConfig } from './config.js';
import { type DrainEvidence, evaluateEvidence, quietSignificance, type SidecarEvidence } from './evidence.js';
import type { LbHealthChecks } from './lb-health-checks.js';
import { type NodesVerdict, nodesVerdict, type PeerInput } from './lb-nodes.js';
import { LB_TYPES, type LbType } from './lb-types.js';
import { SidecarClient } from './sidecar-client.js';
import { type PeerTraffic, summarize, type TrafficSnapshot } from './traffic.js';
import type { DrainReport, ShutdownTrigger } from './types.js';
import { monotonicNow } from './util.js';

const EVIDENCE_TICK_MS = 100;

export interface DrainWatchOptions {
  config: Pick<
    ResolvedConfig,
    | 'minDelay'
    | 'maxDelay'
    | 'delay'
    | 'quietPeriod'
    | 'quietMinRequests'
    | 'lbMargin'
    | 'lbType'
    | 'sidecarUrl'
    | 'sidecarPollInterval'
    | 'logger'
  >;
  /** Application traffic, per peer: its rate before draining and its last request. */
  traffic: PeerTraffic;
  /** The LB health checks seen: their verdict. */
  lb: LbHealthChecks;
}

/**
 * Draining, from its start to the evidence that ends it (DESIGN §3): snapshots the traffic before draining,
 * evaluates the evidence every 100 ms and whenever an input changes, polls the sidecar (`sidecarUrl`, with its own
 * client) meanwhile, and resolves `drained` with the evidence. It decides nothing itself: `evaluateEvidence` does.
 */
export class DrainWatch {
  readonly #config: DrainWatchOptions['config'];
  readonly #traffic: PeerTraffic;
  readonly #lb: LbHealthChecks;
  #report: DrainReport | null = null;
  #startedAt = 0;
  /** Each peer's traffic before draining (per-second counts and their summary). */
  #before = new Map<string, { counts: number[]; before: TrafficSnapshot }>();
  #nodes: NodesVerdict | null = null;
  #drained: Promise<DrainEvidence> | null = null;
  #end: ((e: DrainEvidence) => void) | null = null;
  #evidenceTimer: NodeJS.Timeout | null = null;
  #sidecarTimer: NodeJS.Timeout | null = null;
  #disposed = false;
  /** How long draining lasted, once it has ended. */
  durationMs: number | undefined;
  /** The sidecar (`sidecarUrl`) polled while draining, which `/status` also shows; `null` without one. */
  readonly sidecar: SidecarClient | null;

  constructor(options: DrainWatchOptions) {
    this.#config = options.config;
    this.#traffic = options.traffic;
    this.#lb = options.lb;
    const c = options.config;
    this.sidecar = c.sidecarUrl ? new SidecarClient(c.sidecarUrl, c.sidecarPollInterval, c.logger) : null;
  }

  /** Resolves when draining has ended (on evidence or `maxDelay`); `null` before it began. */
  get drained(): Promise<DrainEvidence> | null {
    return this.#drained;
  }

  /** What `/status` shows of this drain (a copy), or `null` before it began: with each LB node's state. */
  report(): DrainReport | null {
    if (!this.#report) return null;
    const iso = (t: number | null): string | null => (t === null || t < 0 ? null : new Date(t).toISOString());
    const nodes = (this.#nodes?.nodes ?? []).map((n) => ({ ...n, stoppedAt: iso(n.stoppedAt), lastRequestAt: iso(n.lastRequestAt) }));
    return { ...this.#report, nodes };
  }

  get evidenceKind(): DrainEvidence['kind'] | null {
    return this.#report?.evidence?.kind ?? null;
  }

  /**
   * Draining begins now: remembers the traffic before it and returns the promise of its end. Call `watch()`
   * right after (the caller moves the lifecycle to `draining` in between, in the same tick).
   */
  begin(trigger: ShutdownTrigger): Promise<DrainEvidence> {
    const now = monotonicNow();
    this.#startedAt = now;
    for (const [address, rate] of this.#traffic.peers()) {
      const counts = rate.counts(now);
      this.#before.set(address, { counts, before: summarize(counts) });
    }
    const total = this.#traffic.total.snapshot(now);
    const q = quietSignificance(total, this.#config.quietPeriod, this.#config.quietMinRequests);
    this.#report = {
      trigger,
      startedAt: new Date(now).toISOString(),
      endedAt: null,
      evidence: null,
      quietPeriod: {
        rateBeforeDraining: round(total.rate),
        steadiness: round(total.steadiness),
        expectedInQuietPeriod: round(q.expected),
        significant: q.significant,
      },
      nodes: [],
    };
    this.#drained = new Promise((resolve) => {
      this.#end = resolve;
    });
    return this.#drained;
  }

  /** Starts the evidence tick and the sidecar polling, and evaluates at once. */
  watch(): void {
    this.#evidenceTimer = setInterval(() => this.evaluate(), EVIDENCE_TICK_MS);
    if (this.sidecar) this.#pollSidecar(this.sidecar);
    this.evaluate();
  }

  /** Ends draining when the evidence suffices. Called on the tick and whenever an input changed. */
  evaluate(): void {
    if (!this.#end) return;
    const now = monotonicNow();
    const c = this.#config;
    const sidecar = this.sidecar?.evidenceSince(this.#startedAt) ?? null;
    const lb = LB_TYPES[this.lbType(sidecar)];
    const nodes = nodesVerdict({
      now,
      drainStartedAt: this.#startedAt,
      quietPeriod: c.quietPeriod,
      quietMinRequests: c.quietMinRequests,
      lbMargin: c.lbMargin,
      lbReaction: (lb.unhealthyReactionMs ?? 0) + c.lbMargin,
      silenceCounts: lb.silenceShowsStop,
      peers: this.#peers(),
      lb: this.#lb,
    });
    this.#nodes = nodes;
    const evidence = evaluateEvidence({
      now,
      drainStartedAt: this.#startedAt,
      minDelay: c.minDelay,
      maxDelay: c.maxDelay,
      delay: c.delay,
      nodes,
      sidecar,
    });
    if (!evidence) return;
    const end = this.#end;
    this.#end = null;
    this.#stopTimers();
    if (this.#report) {
      this.#report.evidence = evidence;
      this.#report.endedAt = new Date(now).toISOString();
    }
    this.durationMs = now - this.#startedAt;
    const log = evidence.strength === 'none' ? 'warn' : 'info';
    c.logger[log](
      { evidence: evidence.kind, strength: evidence.strength, afterMs: evidence.afterMs, detail: evidence.detail },
      `draining ended: ${evidence.kind}`,
    );
    end(evidence);
  }

  /** The load balancer type the evidence follows: `lbType`, or with `auto` the sidecar's answer, else an ALB. */
  lbType(sidecar: SidecarEvidence | null = this.sidecar?.evidenceSince(this.#startedAt) ?? null): LbType {
    return this.#config.lbType !== 'auto' ? this.#config.lbType : (sidecar?.deregistration?.lbType ?? 'alb');
  }

  /** Every peer: its traffic before draining (none for a peer first seen since) and its last request. */
  #peers(): PeerInput[] {
    const out: PeerInput[] = [];
    for (const [address, rate] of this.#traffic.peers()) {
      const b = this.#before.get(address);
      out.push({ address, counts: b?.counts ?? [], before: b?.before ?? summarize([]), lastRequestAt: rate.lastRequestAt });
    }
    return out;
  }

  #pollSidecar(sidecar: SidecarClient): void {
    if (!this.#end || this.#disposed) return;
    void sidecar.fetch().then(() => {
      this.evaluate();
      if (this.#end && !this.#disposed) this.#sidecarTimer = setTimeout(() => this.#pollSidecar(sidecar), this.#config.sidecarPollInterval);
    });
  }

  #stopTimers(): void {
    if (this.#evidenceTimer) clearInterval(this.#evidenceTimer);
    if (this.#sidecarTimer) clearTimeout(this.#sidecarTimer);
    this.#evidenceTimer = null;
    this.#sidecarTimer = null;
  }

  /** Stops watching without ending: `drained` never settles. */
  dispose(): void {
    this.#disposed = true;
    this.#end = null;
    if (this.#evidenceTimer) clearInterval(this.#evidenceTimer);
    if (this.#sidecarTimer) clearTimeout(this.#sidecarTimer);
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
