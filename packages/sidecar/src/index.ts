// Public API: a list of re-exports only.
export type { AwsCredentials, OwnTarget } from './internal/aws.js';
export type { SettingSpec, SidecarConfig, SourceKind, TargetType } from './internal/config.js';
export { describeConfig, resolveConfig, SETTINGS, usage } from './internal/config.js';
export { SidecarConfigError } from './internal/errors.js';
export type { FailureKind } from './internal/failures.js';
export { Backoff, Failure } from './internal/failures.js';
export type { DesiredGate, GateStatus, PodRef, WriteResult } from './internal/kube.js';
export { GateWriter } from './internal/kube.js';
export type { KubeAuth, KubeConfigLike, RequestParams, WatchEvent } from './internal/kubeclient.js';
export { authFromKubeConfig, HttpError, inClusterAuth, KubeClient } from './internal/kubeclient.js';
export type { Logger } from './internal/logger.js';
export { createJsonLogger, silentLogger } from './internal/logger.js';
export type { SidecarMetrics } from './internal/metrics.js';
export type {
  DrainTrigger,
  Phase,
  PrestopEnd,
  PrestopResult,
  Sidecar,
  SidecarStatusBody,
  StartSidecarOptions,
} from './internal/sidecar.js';
export { startSidecar } from './internal/sidecar.js';
export type { Observation, TargetReport } from './internal/sources.js';
