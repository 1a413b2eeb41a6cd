// An AWS Load Balancer Controller emulation: it watches the kubelet's pods and, `lag` ms after the change,
// registers a pod whose containers became ready and deregisters a pod that was deleted — the asynchrony of
// DESIGN §1 (endpoints controller → LB controller reconcile → target-group change reaching the LB).
//
// - Register: take a free server-template slot, point it at the pod, put it in health `down` (an ALB target
//   starts "initial" and takes traffic only after `rise` successful health checks), then `state ready`.
// - Deregister: `state maint` (ALB "draining": no new requests, in-flight ones finish, no more health checks).
//   The slot is freed once the pod has exited.
// - Readiness gate: while a registered pod is not yet marked, poll HAProxy every 200 ms; once its server is UP
//   (healthy), set the pod's readiness-gate condition (ALBC's `target-health.elbv2.k8s.aws/<tgb>`; it, too,
//   never goes back to False).
import { SLOTS } from './haproxy.mjs';

export class Controller {
  /**
   * @param {{ haproxy: any, kubelet: import('./kubelet.mjs').Kubelet, lag: number }} o  lag in ms
   */
  constructor({ haproxy, kubelet, lag }) {
    this.haproxy = haproxy;
    this.kubelet = kubelet;
    this.lag = lag;
    this.slots = new Map(); // slot number -> pod
    this.timers = new Set();
    this.errors = [];
    this.onContainerReady = (pod) => this.#later(() => this.register(pod));
    this.onDeleted = (pod) => this.#later(() => this.deregister(pod));
    this.onExited = (pod) => {
      for (const [slot, p] of this.slots) if (p === pod && pod.deregisteredAt) this.slots.delete(slot);
    };
    kubelet.on('containerReady', this.onContainerReady);
    kubelet.on('deleted', this.onDeleted);
    kubelet.on('exited', this.onExited);
    this.poller = setInterval(() => void this.#pollHealth(), 200);
  }

  #later(fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn().catch((e) => this.errors.push(e));
    }, this.lag);
    this.timers.add(t);
  }

  /** Registers a pod. `initial: true` skips the health-check wait (pods that served before the measurement). */
  async register(pod, { initial = false } = {}) {
    if (pod.deletedAt || pod.slot) return;
    let slot = 1;
    while (this.slots.has(slot)) slot++;
    if (slot > SLOTS) throw new Error(`controller: more than ${SLOTS} targets registered`);
    this.slots.set(slot, pod);
    pod.slot = slot;
    const s = `be/pod${slot}`;
    const a = (cmd) => this.haproxy.admin(cmd).then((out) => check(cmd, out));
    await a(`set server ${s} addr 127.0.0.1 port ${pod.port}`);
    await a(`set server ${s} check-port ${pod.checkPort}`);
    if (!initial) {
      await a(`set server ${s} state drain`);
      await a(`set server ${s} health down`);
    }
    await a(`set server ${s} state ready`);
    pod.registeredAt = Date.now();
  }

  async deregister(pod) {
    if (!pod.slot || pod.deregisteredAt) return;
    await this.haproxy.admin(`set server be/pod${pod.slot} state maint`).then((out) => check('maint', out));
    pod.deregisteredAt = Date.now();
    if (pod.exitedAt) this.slots.delete(pod.slot);
  }

  async #pollHealth() {
    const waiting = [...this.slots.values()].filter((p) => p.registeredAt && !p.healthyAt && !p.deregisteredAt);
    if (!waiting.length) return;
    let rows;
    try {
      rows = await this.haproxy.servers();
    } catch {
      return;
    }
    for (const pod of waiting) {
      const row = rows.find((r) => r.name === `pod${pod.slot}`);
      if (row?.up && !row.maint) {
        pod.healthyAt = Date.now();
        this.kubelet.setGate(pod);
      }
    }
  }

  stop() {
    clearInterval(this.poller);
    for (const t of this.timers) clearTimeout(t);
    this.kubelet.off('containerReady', this.onContainerReady);
    this.kubelet.off('deleted', this.onDeleted);
    this.kubelet.off('exited', this.onExited);
  }
}

function check(command, out) {
  // Successful `set server` commands answer nothing or an informative line; errors name the problem.
  if (/unknown|invalid|require|not found|no such|cannot|error/i.test(out))
    throw new Error(`HAProxy runtime API: "${command}" answered: ${out}`);
  return out;
}
