// Public API: a list of re-exports only. What a user of the package needs: configure and start a sidecar, read
// its status; not its plumbing (Kubernetes client, condition writer, backoff, failures stay internal).
export type { AwsCredentials } from './internal/aws.js';
export type { SettingSpec, SidecarConfig, SourceKind, TargetType } from './internal/config.js';
export { describeConfig, resolveConfig, SETTINGS, usage } from './internal/config.js';
export { SidecarConfigError } from './internal/errors.js';
export type { KubeConfigLike } from './internal/kubeclient.js';
export type { LogFn, Logger } from './internal/logger.js';
export { createJsonLogger, silentLogger } from './internal/logger.js';
export type { SidecarMetrics } from './internal/metrics.js';
export type { DrainTrigger, Phase } from './internal/phases.js';
export type { PrestopEnd, PrestopResult } from './internal/prestop.js';
export type { Sidecar, StartSidecarOptions } from './internal/sidecar.js';
export { startSidecar } from './internal/sidecar.js';
export type { TargetReport } from './internal/sources.js';
export type { SidecarStatusBody } from './internal/status.js';
