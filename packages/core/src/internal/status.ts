import { planOf, type ResolvedConfig } from './config.js';
import type { DrainWatch } from './drain-watch.js';
import type { LbHealthChecks } from './lb-health-checks.js';
import type { Lifecycle, LifecycleState } from './lifecycle.js';
import { createMetrics, type GateMetrics, type MetricsSource } from './metrics.js';
import type { Readiness } from './readiness.js';
import type { Requests } from './requests.js';
import type { ServerSet } from './servers.js';
import type { Shutdown } from './shutdown.js';
import type { PhaseDurations, StatusReport } from './types.js';
import { monotonicNow } from './util.js';

/** The rooms the status reads, read-only. */
export interface StatusSources {
  config: ResolvedConfig;
  lifecycle: Lifecycle;
  requests: Pick<Requests, 'inflight' | 'byPhase'>;
  servers: Pick<ServerSet, 'connections' | 'upgradedCount'>;
  readiness: Pick<Readiness, 'last'>;
  lb: LbHealthChecks;
  drainWatch: Pick<DrainWatch, 'report' | 'durationMs' | 'evidenceKind' | 'sidecar'>;
  shutdown: Pick<Shutdown, 'phaseDurations' | 'forcedSocketCloses'>;
}

/**
 * What the gate shows: the `GET /status` report, and draingate's Prometheus metrics, which read their numbers from
 * here at scrape time (it is their `MetricsSource`). It reads the rooms and changes nothing.
 */
export class GateStatus implements MetricsSource {
  readonly #s: StatusSources;
  /** When the gate was created ({@link monotonicNow} ms), for the uptime. */
  readonly #startedAt = monotonicNow();

  /** The metrics (the `metrics` setting), or `null` when they are off. */
  readonly metrics: GateMetrics | null;

  constructor(sources: StatusSources) {
    this.#s = sources;
    this.metrics = createMetrics(sources.config.metrics, this);
  }

  get state(): LifecycleState {
    return this.#s.lifecycle.state;
  }

  get inflight(): number {
    return this.#s.requests.inflight;
  }

  get connections(): number {
    return this.#s.servers.connections;
  }

  get requestsByPhase(): Readonly<Record<LifecycleState, number>> {
    return this.#s.requests.byPhase;
  }

  /** Each shutdown phase that has ended, in the order they run. */
  get phaseDurations(): PhaseDurations {
    const durations: PhaseDurations = {};
    const draining = this.#s.drainWatch.durationMs;
    if (draining !== undefined) durations.draining = draining;
    return Object.assign(durations, this.#s.shutdown.phaseDurations);
  }

  get forcedSocketCloses(): number {
    return this.#s.shutdown.forcedSocketCloses;
  }

  get lbHealthChecks(): { readonly pass: number; readonly fail: number } {
    return this.#s.lb;
  }

  get drainEvidenceKind(): string | null {
    return this.#s.drainWatch.evidenceKind;
  }

  /** The body of `GET /status`: the report, with the sidecar's answer refreshed first when it is stale. */
  async fresh(): Promise<StatusReport> {
    await this.#s.drainWatch.sidecar?.fetchIfStale();
    return this.report();
  }

  /** A snapshot of everything `/status` shows. */
  report(): StatusReport {
    const s = this.#s;
    return {
      state: s.lifecycle.state,
      since: new Date(s.lifecycle.since).toISOString(),
      uptimeSeconds: Math.round((monotonicNow() - this.#startedAt) / 1000),
      inflight: s.requests.inflight,
      connections: s.servers.connections,
      upgradedSockets: s.servers.upgradedCount,
      requestsByPhase: { ...s.requests.byPhase },
      readiness: { checks: s.readiness.last },
      lbHealthChecks: s.lb.toJSON(),
      sidecar: s.drainWatch.sidecar?.report() ?? null,
      plan: planOf(s.config),
      drain: s.drainWatch.report(),
      phaseDurationsMs: this.phaseDurations,
      forcedSocketCloses: s.shutdown.forcedSocketCloses,
      history: s.lifecycle.history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })),
    };
  }
}
