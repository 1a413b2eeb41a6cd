import { createRequire } from 'node:module';
import type { MetricsOptions, MetricsRegistry } from './config.js';
import { DraingateConfigError } from './errors.js';
import { type LifecycleState, STATES } from './lifecycle.js';

/** What the metrics read from the gate at scrape time: the hot path only bumps plain numbers. */
export interface MetricsSource {
  readonly state: LifecycleState;
  readonly inflight: number;
  readonly connections: number;
  readonly requestsByPhase: Readonly<Record<LifecycleState, number>>;
  readonly phaseDurations: Readonly<Partial<Record<'draining' | 'stopping' | 'hooks', number>>>;
  readonly forcedSocketCloses: number;
  readonly lbHealthChecks: { readonly pass: number; readonly fail: number };
  readonly drainEvidenceKind: string | null;
}

export interface GateMetrics {
  readonly registry: MetricsRegistry;
  /** Prometheus text of draingate's registry (and prom-client's default registry when ours is private). */
  render(): Promise<{ contentType: string; body: string }>;
}

type PromClient = typeof import('prom-client');

const require = createRequire(import.meta.url);

function loadPromClient(): PromClient | null {
  try {
    return require('prom-client') as PromClient;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/**
 * Registers draingate's metrics. Every value is read in `collect()` at scrape time, so serving a request costs
 * no prom-client call. Returns `null` when metrics are off, or `'auto'` and prom-client is not installed.
 */
export function createMetrics(option: MetricsOptions | false | 'auto', source: MetricsSource): GateMetrics | null {
  if (option === false) return null;
  const prom = loadPromClient();
  if (!prom) {
    if (option === 'auto') return null;
    throw new DraingateConfigError(
      'metrics',
      'option metrics is on but prom-client is not installed: run `npm install prom-client` (a peer dependency), or set metrics: false.',
    );
  }
  const opts = option === 'auto' ? {} : option;
  const prefix = opts.prefix ?? 'draingate_';
  const privateRegistry = opts.registry === undefined;
  const registry = (opts.registry as unknown as InstanceType<PromClient['Registry']>) ?? new prom.Registry();
  const registers = [registry];

  new prom.Gauge({
    name: `${prefix}lifecycle_state`,
    help: 'Current lifecycle state: 1 for the current state, 0 for the others',
    labelNames: ['state'],
    registers,
    collect() {
      for (const s of STATES) this.set({ state: s }, s === source.state ? 1 : 0);
    },
  });
  new prom.Gauge({
    name: `${prefix}inflight_requests`,
    help: 'Requests being served right now',
    registers,
    collect() {
      this.set(source.inflight);
    },
  });
  new prom.Gauge({
    name: `${prefix}open_connections`,
    help: 'Open client connections on the attached servers',
    registers,
    collect() {
      this.set(source.connections);
    },
  });
  new prom.Counter({
    name: `${prefix}requests_total`,
    help: 'Requests handed to the application, by the lifecycle state they arrived in',
    labelNames: ['phase'],
    registers,
    collect() {
      this.reset();
      for (const s of STATES) this.inc({ phase: s }, source.requestsByPhase[s]);
    },
  });
  new prom.Gauge({
    name: `${prefix}phase_duration_seconds`,
    help: 'How long each shutdown phase took (draining: until deregistration evidence; stopping: in-flight drain; hooks)',
    labelNames: ['phase'],
    registers,
    collect() {
      this.reset();
      for (const [phase, ms] of Object.entries(source.phaseDurations)) this.set({ phase }, ms / 1000);
    },
  });
  new prom.Counter({
    name: `${prefix}forced_socket_closes_total`,
    help: 'Sockets destroyed at the drain timeout while a request or upgraded connection was still open',
    registers,
    collect() {
      this.reset();
      this.inc(source.forcedSocketCloses);
    },
  });
  new prom.Counter({
    name: `${prefix}lb_health_checks_total`,
    help: 'Load balancer health checks seen, by the result the LB got',
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      this.inc({ result: 'pass' }, source.lbHealthChecks.pass);
      this.inc({ result: 'fail' }, source.lbHealthChecks.fail);
    },
  });
  new prom.Gauge({
    name: `${prefix}drain_evidence`,
    help: 'The evidence that ended draining (1 for the kind that did)',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      if (source.drainEvidenceKind) this.set({ kind: source.drainEvidenceKind }, 1);
    },
  });

  return {
    registry: registry as unknown as MetricsRegistry,
    async render() {
      if (!privateRegistry) return { contentType: registry.contentType, body: await registry.metrics() };
      // biome-ignore lint/suspicious/noExplicitAny: prom-client types the two registries' content types apart
      const merged = prom.Registry.merge([registry, prom.register] as any[]);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
  };
}
