// `@draingate/testkit/cluster`: one test file's cluster (a real kube-apiserver, the TargetGroupBinding CRD, the fake
// ELBv2 endpoint) started and stopped by vitest's hooks, the objects the sidecar's and the controller's tests read
// and create on it, and the app of their end-to-end tests. Needs vitest (it registers hooks).
export { type GatedApp, startGatedApp } from './cluster/app.js';
export { type KubeCluster, type UseClusterOptions, useCluster } from './cluster/cluster.js';
export { condition, GATE, podEvents, readPod, type ServiceAndBindingOptions, serviceAndBinding, waitFor } from './cluster/objects.js';
