// `@draingate/testkit/k8s`: a real etcd + kube-apiserver, the real kube-controller-manager and a simulated kubelet,
// with the binaries from test/k8s/build.sh. Plain Node: benchmarks can import it.
export { type ApiServer, ensureNamespace, type StartApiServerOptions, startApiServer } from './k8s/apiserver.js';
export {
  type ControllerManager,
  DEFAULT_CONTROLLERS,
  type StartControllerManagerOptions,
  startControllerManager,
} from './k8s/controller-manager.js';
export { dockerfileInstructions } from './k8s/dockerfile.js';
export { KubeletSim, type KubeletSimOptions, type KubeletSimStats } from './k8s/kubelet-sim.js';
export { type ConditionJson, containersReadyCondition, kubeletConditions, type PodJson, podReady } from './k8s/kubelet-status.js';
export { type DryRunResult, dryRunApply, installTargetGroupBindingCrd } from './k8s/manifests.js';
export { freePort, k8sBinDir, Proc, until } from './k8s/processes.js';
