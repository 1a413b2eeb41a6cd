import type { EngineMetrics } from '@draingate/sidecar/internal';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The controller's metrics, in its own prom-client Registry (served on `/metrics`, every replica). */
export interface ControllerMetrics {
  registry: Registry;
  /** What the pods' engines count (shared by every pod; the per-pod gauges are kept as counts by phase instead). */
  engine: EngineMetrics;
  leader: Gauge;
  leaderTransitions: Counter;
  awsCalls: Counter<'action' | 'outcome'>;
  apiRequests: Counter<'verb'>;
  statusRequests: Counter<'code'>;
}

/**
 * `collect` reads the live counts when Prometheus scrapes: pods by phase, target groups, the token bucket. The
 * engines' per-pod gauges (`conditionStatus`, `deregistered`, `draining` in a sidecar) would mean nothing shared by
 * a thousand pods: they are no-ops here.
 */
export function createControllerMetrics(live: {
  phases(): Record<string, number>;
  targetGroups(): { wanted: boolean }[];
  bucketTokens(): number;
  bucketWaitSeconds(): number;
}): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'draingate_controller_' });
  const registers = [registry];
  const noop = { set(): void {} };
  new Gauge({
    name: 'draingate_controller_pods',
    help: 'Pods declaring the gate, by phase of their engine (starting, ready, draining)',
    labelNames: ['phase'],
    registers,
    collect() {
      for (const [phase, n] of Object.entries(live.phases())) this.set({ phase }, n);
    },
  });
  new Gauge({
    name: 'draingate_controller_target_groups',
    help: 'Target groups of served pods; polling: a pod of the group is starting or draining',
    labelNames: ['state'],
    registers,
    collect() {
      const groups = live.targetGroups();
      const polling = groups.filter((g) => g.wanted).length;
      this.set({ state: 'polling' }, polling);
      this.set({ state: 'idle' }, groups.length - polling);
    },
  });
  new Gauge({
    name: 'draingate_controller_aws_tokens',
    help: 'Tokens left in the client-side ELBv2 token bucket',
    registers,
    collect() {
      this.set(live.bucketTokens());
    },
  });
  new Counter({
    name: 'draingate_controller_aws_wait_seconds_total',
    help: 'Time ELBv2 calls waited for a token of the client-side bucket',
    registers,
    collect() {
      this.reset();
      this.inc(live.bucketWaitSeconds());
    },
  });
  return {
    registry,
    engine: {
      conditionStatus: noop,
      deregistered: noop,
      draining: noop,
      conditionWrites: new Counter({
        name: 'draingate_controller_gate_writes_total',
        help: 'pods/status patches (gate and deregistration record), by outcome',
        labelNames: ['outcome'],
        registers,
      }),
      events: new Counter({
        name: 'draingate_controller_events_total',
        help: 'Kubernetes Events recorded, by reason',
        labelNames: ['reason'],
        registers,
      }),
      prestopSeconds: new Histogram({
        name: 'draingate_controller_prestop_wait_seconds',
        help: 'Unused: the controller serves no /v1/prestop (kept for the engine)',
        labelNames: ['ended'],
        registers,
      }),
    },
    leader: new Gauge({ name: 'draingate_controller_leader', help: '1 while this replica holds the Lease', registers }),
    leaderTransitions: new Counter({
      name: 'draingate_controller_leader_transitions_total',
      help: 'Times this replica became or stopped being the leader',
      registers,
    }),
    awsCalls: new Counter({
      name: 'draingate_controller_aws_calls_total',
      help: 'ELBv2 calls, by action and outcome (ok, throttled, forbidden, unreachable, other)',
      labelNames: ['action', 'outcome'],
      registers,
    }),
    apiRequests: new Counter({
      name: 'draingate_controller_kube_requests_total',
      help: 'Kubernetes API requests (watches counted once, when opened), by verb',
      labelNames: ['verb'],
      registers,
    }),
    statusRequests: new Counter({
      name: 'draingate_controller_status_requests_total',
      help: 'GET /v1/pods/{namespace}/{name}/status, by answer code',
      labelNames: ['code'],
      registers,
    }),
  };
}
