// The single-node model (`--lb-model single`, the harness's first model): one HAProxy is the whole load balancer,
// with HAProxy's own health checks (haproxy.mjs explains each setting).
//
// - RegisterTargets: take a free server-template slot, point it at the pod, put it in health `down` (a target
//   starts "initial" and takes traffic only after `rise` passing checks), then `state ready`.
// - DeregisterTargets: `state maint` (no new requests, in-flight ones finish, no more health checks): every
//   "node" stops routing at that instant. The slot is freed once the pod has exited.
// - The API view follows HAProxy's server state, polled every 200 ms: `healthy` once the server is UP.
// - No fail-open: when every target is down HAProxy answers 503.
import { startHaproxy } from './haproxy.mjs';
import { LoadBalancer } from './lb-base.mjs';

/** @param {{ model: import('./lb-models.mjs').LbModel, checkPath: string, seed: number }} o */
export async function startSingleLb({ model, checkPath, seed }) {
  let lb;
  const hc = model.healthCheck;
  const haproxy = await startHaproxy({
    healthCheck: { path: checkPath, interval: hc.interval, rise: hc.healthyThreshold, fall: hc.unhealthyThreshold, timeout: hc.timeout },
    onLog: (line) => lb?.onLog(line),
  });
  lb = new SingleNodeLb({
    model,
    seed,
    nodes: [{ name: 'lb', address: '127.0.0.1', port: haproxy.port, share: 1, frontend: 'fe', backend: 'be' }],
  });
  lb.haproxy = haproxy;
  lb.poller = setInterval(() => void lb.poll(), 200);
  return lb;
}

class SingleNodeLb extends LoadBalancer {
  /** RegisterTargets. `initial: true` skips the health-check wait (pods that served before the measurement). */
  async register(target, { initial = false } = {}) {
    if (this.records.has(target)) return;
    const slot = this.allocSlot(target);
    const s = `be/pod${slot}`;
    const cmds = [`set server ${s} addr 127.0.0.1 port ${target.port}`, `set server ${s} check-port ${target.checkPort}`];
    if (!initial) cmds.push(`set server ${s} state drain`, `set server ${s} health down`);
    cmds.push(`set server ${s} state ready`);
    await this.send(cmds);
    this.records.get(target).nodes[0].registeredAt = Date.now();
    // `initial` in the API until the poller sees the server UP (at once for an initial target): then healthy.
    this.targetGroup.register(target);
  }

  /** DeregisterTargets: `state maint`, the whole LB at once. */
  async deregister(target) {
    const rec = this.records.get(target);
    if (!rec || rec.nodes[0].deregisteredAt) return;
    this.targetGroup.deregister(target);
    await this.send([`set server be/pod${rec.slot} state maint`]);
    rec.nodes[0].deregisteredAt = Date.now();
    this.setRouting(target, 0, false, 'deregistered');
    if (target.exitedAt) this.freeSlot(target);
  }

  exited(target) {
    this.targetGroup.gone(target);
    if (this.records.get(target)?.nodes[0].deregisteredAt) this.freeSlot(target);
  }

  /** HAProxy's view of each registered, not deregistered target → routing record and the API's health. */
  async poll() {
    const live = [...this.records].filter(([, r]) => r.nodes[0].registeredAt && !r.nodes[0].deregisteredAt);
    if (!live.length || !this.haproxy) return;
    let rows;
    try {
      rows = await this.haproxy.servers();
    } catch {
      return;
    }
    for (const [target, rec] of live) {
      const row = rows.find((r) => r.name === `pod${rec.slot}`);
      if (!row || rec.nodes[0].deregisteredAt) continue;
      const up = row.up && !row.maint;
      if (up === rec.nodes[0].routing) continue;
      this.setRouting(target, 0, up, 'unhealthy');
      this.targetGroup.verdict(target, 'lb', up, up ? null : 'Target.FailedHealthChecks', up ? null : 'Health checks failed');
    }
  }

  async stop() {
    clearInterval(this.poller);
    await super.stop();
  }

  kill() {
    clearInterval(this.poller);
    super.kill();
  }
}
