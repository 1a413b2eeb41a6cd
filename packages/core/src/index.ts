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
export { DEFAULTS, ENV_VARS, resolveConfig, SIDECAR_ENV_VARS } from './internal/config.js';
export type { Duration } from './internal/duration.js';
export { formatDuration, parseDuration } from './internal/duration.js';
export type { ConfigSource } from './internal/errors.js';
export { DraingateConfigError } from './internal/errors.js';
export type { DrainEvidence, EvidenceKind, LbHealthCheckReport, LbSourceReport } from './internal/evidence.js';
export { isLbSourceLive } from './internal/evidence.js';
export { createGate, Gate } from './internal/gate.js';
export { type HealthCheckDefaults, LB_TYPES, type LbType, type LbTypeFacts, lbTypeOfProtocol } from './internal/lb-types.js';
export type { LifecycleState, StateChange } from './internal/lifecycle.js';
export { STATES } from './internal/lifecycle.js';
export type { Logger } from './internal/logger.js';
export { redactSecrets } from './internal/redact.js';
export type { AnyRequest, AnyResponse, AnyServer, ServerKind } from './internal/servers.js';
export type { SidecarDeregistration, SidecarStatus, SidecarTarget } from './internal/sidecar-contract.js';
export { checkSidecarStatus } from './internal/sidecar-contract.js';
export { SIDECAR_SETTINGS, type SidecarSettingKind, type SidecarSettingSpec } from './internal/sidecar-settings.js';
export type {
  AttachOptions,
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
