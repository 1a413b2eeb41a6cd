import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What a pod's engine updates: the sidecar's metrics fit it as they are; a controller, which holds one engine per
 * pod, passes counters shared by every pod and keeps its per-pod gauges elsewhere.
 */
export interface EngineMetrics {
  conditionStatus: { set(value: number): void };
  deregistered: { set(value: number): void };
  draining: { set(value: number): void };
  conditionWrites: { inc(labels: { outcome: string }): void };
  events: { inc(labels: { reason: string }): void };
  prestopSeconds: { observe(labels: { ended: string }, value: number): void };
}

/** The sidecar's metrics, in its own prom-client Registry (served on `/metrics`). */
export interface SidecarMetrics {
  registry: Registry;
  /** The pod's readiness-gate condition (not the app's lifecycle). */
  conditionStatus: Gauge;
  deregistered: Gauge;
  draining: Gauge;
  sourceCalls: Counter<'source' | 'outcome'>;
  conditionWrites: Counter<'outcome'>;
  events: Counter<'reason'>;
  prestopSeconds: Histogram<'ended'>;
}

export function createMetrics(registry: Registry = new Registry()): SidecarMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'draingate_sidecar_' });
  return {
    registry,
    conditionStatus: new Gauge({
      name: 'draingate_sidecar_gate_status',
      help: 'The readiness-gate condition: 1 True, 0 False or not written',
      registers: [registry],
    }),
    deregistered: new Gauge({
      name: 'draingate_sidecar_deregistered',
      help: '1 once every target is draining/unused/gone plus the propagation bound',
      registers: [registry],
    }),
    draining: new Gauge({
      name: 'draingate_sidecar_draining',
      help: '1 once the pod is being deleted (preStop, deletionTimestamp or SIGTERM)',
      registers: [registry],
    }),
    sourceCalls: new Counter({
      name: 'draingate_sidecar_source_calls_total',
      help: 'Calls to the source of target health (aws: DescribeTargetHealth requests), by outcome',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    conditionWrites: new Counter({
      name: 'draingate_sidecar_gate_writes_total',
      help: 'pods/status patches, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    events: new Counter({
      name: 'draingate_sidecar_events_total',
      help: 'Kubernetes Events recorded, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    prestopSeconds: new Histogram({
      name: 'draingate_sidecar_prestop_wait_seconds',
      help: 'How long /v1/prestop waited, by what ended the wait',
      labelNames: ['ended'],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers: [registry],
    }),
  };
}
