// `@draingate/sidecar/internal`: plumbing for draingate's own packages (the test kit's kubelet simulator, later a
// cluster controller), with no semver promise. A user of the sidecar needs only `@draingate/sidecar`. Re-exports only.
export type { KubeAuth, WatchEvent } from './internal/kubeclient.js';
export { authFromKubeConfig, HttpError, KubeClient } from './internal/kubeclient.js';
