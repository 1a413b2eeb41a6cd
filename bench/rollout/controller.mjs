// An AWS Load Balancer Controller (ALBC) emulation: it watches the kubelet's pods and, `lag` ms after the change,
// calls RegisterTargets for a pod whose containers became ready and DeregisterTargets for a pod that was deleted —
// the asynchrony of DESIGN §1 (endpoints controller → ALBC reconcile → the target group's API). What happens after
// the API call (nodes applying it one by one, health checks) is the load balancer's business (lb.mjs).
//
// Readiness gate: once the target group's API view says `healthy` (target-group.mjs: as soon as one LB node's
// check passed), it sets the pod's readiness-gate condition, like ALBC's `target-health.elbv2.k8s.aws/<tgb>`,
// which never goes back to False.
export class Controller {
  /**
   * @param {{ lb: any, kubelet: import('./kubelet.mjs').Kubelet, lag: number }} o  lag in ms
   */
  constructor({ lb, kubelet, lag }) {
    this.lb = lb;
    this.kubelet = kubelet;
    this.lag = lag;
    this.timers = new Set();
    this.errors = [];
    this.onContainerReady = (pod) => this.#later(() => this.register(pod));
    this.onDeleted = (pod) => this.#later(() => this.deregister(pod));
    this.onExited = (pod) => this.lb.exited(pod);
    this.onTargetChange = (pod, state) => {
      if (state !== 'healthy' || pod.healthyAt || pod.deletedAt) return;
      pod.healthyAt = Date.now();
      this.kubelet.setGate(pod);
    };
    kubelet.on('containerReady', this.onContainerReady);
    kubelet.on('deleted', this.onDeleted);
    kubelet.on('exited', this.onExited);
    lb.targetGroup.on('change', this.onTargetChange);
  }

  #later(fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn().catch((e) => this.errors.push(e));
    }, this.lag);
    this.timers.add(t);
  }

  /** RegisterTargets. `initial: true` skips the health-check wait (pods that served before the measurement). */
  async register(pod, { initial = false } = {}) {
    if (pod.deletedAt || pod.registeredAt) return;
    pod.registeredAt = Date.now();
    await this.lb.register(pod, { initial });
  }

  /** DeregisterTargets (ALBC drops terminating endpoints on its next reconcile). */
  async deregister(pod) {
    if (!pod.registeredAt || pod.deregisteredAt) return;
    pod.deregisteredAt = Date.now();
    await this.lb.deregister(pod);
  }

  stop() {
    for (const t of this.timers) clearTimeout(t);
    this.kubelet.off('containerReady', this.onContainerReady);
    this.kubelet.off('deleted', this.onDeleted);
    this.kubelet.off('exited', this.onExited);
    this.lb.targetGroup.off('change', this.onTargetChange);
  }
}
