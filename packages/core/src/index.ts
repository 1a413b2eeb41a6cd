// The public API of @draingate/core. What only draingate's own packages and framework adapters use is in
// internal.ts (`@draingate/core/internal`), without a semver promise.
export type {
  DrainPlan,
  EndpointPaths,
  GateOptions,
  LbHealthCheckOptions,
  MetricsOptions,
  MetricsRegistry,
  ResolvedConfig,
  ResolvedPaths,
} from './internal/config.js';
export type { Duration } from './internal/duration.js';
export type { ConfigSource } from './internal/errors.js';
export { DraingateConfigError } from './internal/errors.js';
export type { DrainEvidence, EvidenceKind } from './internal/evidence.js';
export { createGate, type Gate } from './internal/gate.js';
export type { LbHealthCheckReport, LbSourceReport } from './internal/lb-health-checks.js';
export type { NodeState } from './internal/lb-nodes.js';
export type { LbType } from './internal/lb-types.js';
export type { LifecycleState, StateChange } from './internal/lifecycle.js';
export { STATES } from './internal/lifecycle.js';
export type { Logger } from './internal/logger.js';
export type { AnyServer } from './internal/servers.js';
export type { SidecarDeregistration, SidecarStatus, SidecarTarget } from './internal/sidecar-contract.js';
export type {
  CheckOptions,
  DrainReport,
  GateEvents,
  ReadinessCheckFn,
  ReadinessResult,
  ShutdownHookFn,
  ShutdownResult,
  ShutdownTrigger,
  StatusReport,
} from './internal/types.js';
