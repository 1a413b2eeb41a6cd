// `@draingate/sidecar/internal`: plumbing for draingate's own packages (the test kit's kubelet simulator, the
// cluster controller), with no semver promise. A user of the sidecar needs only `@draingate/sidecar`. Re-exports only.

// What both binaries share (the controller's is built like the sidecar's): the CLI's start, exit codes and stop
// signals, and the HTTP API's listen and close.
export { cliStart, exitOnStartFailure, onStopSignals } from './internal/cli-kit.js';
// The engine a controller holds once per pod (pod-engine.ts), and the parts it feeds it with.
export type { ConditionStatus, DesiredCondition, WriteResult } from './internal/condition.js';
export { ConditionSync, ConditionWriter } from './internal/condition.js';
export type { SidecarConfig, TargetType } from './internal/config.js';
export type { RecordedDeregistration } from './internal/deregistration.js';
export type { FailureKind } from './internal/failures.js';
export { awsFailure, Backoff, ErrorReport, Failure, jitter, kubeFailure, parseRetryAfter } from './internal/failures.js';
export { closeHttp, listenHttp } from './internal/http-listen.js';
export type { EventSource, PodFeed, PodFeedHooks, PodNews, PodRef } from './internal/kube.js';
export { podPath } from './internal/kube.js';
export type { KubeAuth, KubeConfigLike, RequestParams, WatchEvent } from './internal/kubeclient.js';
export { authFromKubeConfig, HttpError, inClusterAuth, KubeClient } from './internal/kubeclient.js';
export type { EngineMetrics } from './internal/metrics.js';
export type { PodEngineDeps } from './internal/pod-engine.js';
export { PodEngine } from './internal/pod-engine.js';
export { RetryTimer } from './internal/retry-timer.js';
export type { Poller, PollerHooks, SourceTraits } from './internal/source-poller.js';
export type { Observation, SourceContext } from './internal/sources.js';
export type { BindingMatch, OwnTarget, TargetGroupBinding, TargetHealthDescription } from './internal/targets.js';
export { lbTypeOfGroups, matchBinding, observationOf, targetReport } from './internal/targets.js';
