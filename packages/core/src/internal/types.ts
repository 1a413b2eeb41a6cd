// The gate's public types, one floor below every room: gate.ts and each room import them from here, so that no
// room has to import gate.ts (which imports the rooms).
import type { Duplex } from 'node:stream';
import type { DrainPlan } from './config.js';
import type { Duration } from './duration.js';
import type { DrainEvidence } from './evidence.js';
import type { LbHealthCheckReport } from './lb-health-checks.js';
import type { NodeState } from './lb-nodes.js';
import type { LifecycleState, StateChange } from './lifecycle.js';
import type { SidecarStatus } from './sidecar-contract.js';

/**
 * Why shutdown began: a signal, `prestop` (the management endpoint), or what the code that called
 * `gate.shutdown(trigger)` named (default `shutdown()`; adapters use e.g. `fastify.close()`).
 */
export type ShutdownTrigger = NodeJS.Signals | 'prestop' | 'shutdown()' | (string & {});

export type ReadinessCheckFn = () => unknown;
export type ShutdownHookFn = () => unknown;

export interface CheckOptions {
  /** Duration with a unit. Readiness checks default to `"500ms"` (kubelet's probe timeout is 1 s). */
  timeout?: Duration;
}

export interface ReadinessResult {
  name: string;
  ok: boolean;
  error?: string;
  durationMs: number;
}

export interface ShutdownResult {
  exitCode: 0 | 1;
  trigger: ShutdownTrigger;
  evidence: DrainEvidence | null;
  forcedSocketCloses: number;
  failedHooks: string[];
}

export interface DrainReport {
  trigger: ShutdownTrigger;
  startedAt: string;
  endedAt: string | null;
  evidence: DrainEvidence | null;
  /** Request rate seen before draining (all peers together) and whether a quiet period of it could count. */
  quietPeriod: { rateBeforeDraining: number; steadiness: number; expectedInQuietPeriod: number; significant: boolean };
  /**
   * Each LB node and peer that sent traffic or health checks, as last evaluated: whether it still routes here, and
   * what showed it stopped (the node that held draining is the last one to stop, or the one still `routing`).
   */
  nodes: NodeReport[];
}

/** One LB node or peer in `drain.nodes`: {@link NodeState} with its times as ISO strings. */
export type NodeReport = Omit<NodeState, 'stoppedAt' | 'lastRequestAt'> & { stoppedAt: string | null; lastRequestAt: string | null };

/** The JSON of `GET /status`. */
export interface StatusReport {
  state: LifecycleState;
  since: string;
  uptimeSeconds: number;
  inflight: number;
  connections: number;
  upgradedSockets: number;
  requestsByPhase: Record<LifecycleState, number>;
  readiness: { checks: ReadinessResult[] };
  lbHealthChecks: LbHealthCheckReport;
  sidecar: { url: string; last: SidecarStatus | null; error: string | null; fetchedAt: string | null } | null;
  /** The resolved timings that decide when draining and stopping end (the settings table's `plan` rows). */
  plan: DrainPlan;
  drain: DrainReport | null;
  phaseDurationsMs: Partial<Record<'draining' | 'stopping' | 'hooks', number>>;
  forcedSocketCloses: number;
  history: { from: LifecycleState; to: LifecycleState; reason: string; at: string }[];
}

/** The gate's events and their payloads: `gate.on('state', (change) => ...)` is typed. */
export interface GateEvents {
  state: [change: StateChange];
  draining: [event: { trigger: ShutdownTrigger }];
  stopping: [event: { deadline: number }];
  /** Upgraded sockets (WebSocket) to close before `deadline`; they are destroyed then. */
  drain: [event: { sockets: Duplex[]; deadline: number }];
  stopped: [result: ShutdownResult];
  forced: [event: { signal: NodeJS.Signals }];
}

/** How long each shutdown phase took, in milliseconds (a phase appears once it has ended). */
export type PhaseDurations = StatusReport['phaseDurationsMs'];

/** Emits a gate event; a throwing listener is logged and the caller goes on (shutdown must not derail). */
export type EmitFn = <K extends keyof GateEvents>(event: K, ...args: GateEvents[K]) => void;
