// `@draingate/core/internal`: for framework adapters and draingate's own packages (sidecar, doctor), with no semver
// promise: it changes whenever they need it to. Applications use `@draingate/core`. Re-exports only.
export type { AttachOptions } from './internal/adapter.js';
export { attachServer, handleRequest, isGate } from './internal/adapter.js';
export { DEFAULTS, defaultMaxDelay, ENV_VARS, resolveConfig, SIDECAR_ENV_VARS } from './internal/config.js';
export { formatDuration, parseDuration } from './internal/duration.js';
export { isLbSourceLive } from './internal/lb-health-checks.js';
export { type HealthCheckDefaults, LB_TYPES, type LbTypeFacts, lbTypeOfProtocol } from './internal/lb-types.js';
export { redactSecrets } from './internal/redact.js';
export type { AnyRequest, AnyResponse, ServerKind } from './internal/servers.js';
export { checkSidecarStatus } from './internal/sidecar-contract.js';
export { SIDECAR_SETTINGS, type SidecarSettingKind, type SidecarSettingSpec } from './internal/sidecar-settings.js';
