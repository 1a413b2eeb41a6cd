// What every load-balancer model of the harness shares: the API view (a TargetGroup), the server-template slots
// a target occupies on every node, HAProxy's runtime-API commands (sent in order), and the record of each target's
// routing, node by node — when the node applied the deregistration, when it stopped routing new requests to the
// target and why, and the last request HAProxy's log shows it sent there.
//
// The methods the controller emulation calls are the ELBv2 API's: `register` (RegisterTargets), `deregister`
// (DeregisterTargets); `exited` tells the LB that the target's process is gone (no connection left).
import { checkAdmin, parseLogLine, SLOTS } from './haproxy.mjs';
import { TargetGroup } from './target-group.mjs';

/**
 * @typedef {object} NodeRecord  one LB node's view of one target
 * @property {string} node           node name (node1, node2, …; `lb` in the single model)
 * @property {string} address        the source address the node connects and health-checks from
 * @property {number | null} registeredAt    when the node applied RegisterTargets
 * @property {number | null} deregisteredAt  when the node applied DeregisterTargets
 * @property {boolean} routing       whether the node routes new requests to the target now
 * @property {number | null} stoppedAt   the last time it stopped routing there (null while routing or never routed)
 * @property {string | null} stopReason  'deregistered' | 'unhealthy' | 'not healthy'
 * @property {number | null} lastRequestAt  the last request (HTTP) or connection (TCP) its log shows to the target
 * @property {number} requests
 */

export class LoadBalancer {
  /**
   * @param {{ model: import('./lb-models.mjs').LbModel, nodes: { name: string, address: string, port: number,
   *           share: number, frontend: string, backend: string }[], seed: number }} o
   */
  constructor({ model, nodes, seed }) {
    this.model = model;
    this.nodes = nodes;
    this.seed = seed;
    this.targetGroup = new TargetGroup({ deregistrationDelay: model.deregistrationDelay });
    /** @type {Error[]} runtime-API failures (a run that has any is an error) */
    this.errors = [];
    /** @type {Map<number, object>} slot -> target */
    this.slots = new Map();
    /** @type {{ slot: number, target: object, from: number, to: number | null }[]} */
    this.slotHistory = [];
    /** @type {Map<object, { slot: number, nodes: NodeRecord[] }>} */
    this.records = new Map();
    this.haproxy = null;
    this.queue = Promise.resolve();
    this.timers = new Set();
  }

  /** The frontend ports clients connect to, with each node's share of the traffic. */
  get entryPoints() {
    const total = this.nodes.reduce((n, x) => n + x.share, 0);
    return this.nodes.map((n) => ({ name: n.name, port: n.port, share: n.share / total }));
  }

  /** Takes the lowest free slot for `target` and starts its routing record. */
  allocSlot(target) {
    let slot = 1;
    while (this.slots.has(slot)) slot++;
    if (slot > SLOTS) throw new Error(`load balancer: more than ${SLOTS} targets registered`);
    this.slots.set(slot, target);
    this.slotHistory.push({ slot, target, from: Date.now(), to: null });
    this.records.set(target, {
      slot,
      nodes: this.nodes.map((n) => ({
        node: n.name,
        address: n.address,
        registeredAt: null,
        deregisteredAt: null,
        routing: false,
        stoppedAt: null,
        stopReason: null,
        lastRequestAt: null,
        requests: 0,
      })),
    });
    return slot;
  }

  freeSlot(target) {
    const rec = this.records.get(target);
    if (!rec || this.slots.get(rec.slot) !== target) return;
    this.slots.delete(rec.slot);
    const h = this.slotHistory.findLast((x) => x.slot === rec.slot && x.target === target);
    if (h) h.to = Date.now();
  }

  /** Records that node `i` started or stopped routing new requests to `target`. */
  setRouting(target, i, routing, reason = null) {
    const n = this.records.get(target)?.nodes[i];
    if (!n || n.routing === routing) return;
    n.routing = routing;
    if (routing) {
      n.stoppedAt = null;
      n.stopReason = null;
    } else {
      n.stoppedAt = Date.now();
      n.stopReason = reason;
    }
  }

  /** Sends runtime-API commands in order (one connection per batch); a failure is kept in `errors`. */
  send(commands) {
    if (!commands.length || !this.haproxy) return this.queue;
    const line = commands.join('; ');
    this.queue = this.queue
      .then(() => this.haproxy.admin(line))
      .then((out) => checkAdmin(line, out))
      .catch((error) => {
        this.errors.push(error);
      });
    return this.queue;
  }

  /** A HAProxy log line: the request (connection) it shows counts for the node and the target its slot held then. */
  onLog(line) {
    const e = parseLogLine(line);
    if (!e) return;
    const i = this.nodes.findIndex((n) => n.frontend === e.frontend);
    const slot = /^pod(\d+)$/.exec(e.server)?.[1];
    if (i < 0 || !slot) return;
    const h = this.slotHistory.findLast((x) => x.slot === Number(slot) && x.from <= e.at);
    const n = h && this.records.get(h.target)?.nodes[i];
    if (!n) return;
    n.requests++;
    if (n.lastRequestAt === null || e.at > n.lastRequestAt) n.lastRequestAt = e.at;
  }

  /** setTimeout that stop() cancels. */
  later(ms, fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  /**
   * Per target: the API's `draining` moment, each node's record, the moment the last node stopped routing (null
   * while one still routes), and the last request any node sent.
   */
  routing(target) {
    const rec = this.records.get(target);
    if (!rec) return null;
    const nodes = rec.nodes.map((n) => ({ ...n }));
    const stillRouting = nodes.some((n) => n.routing);
    const stops = nodes.map((n) => n.stoppedAt).filter((x) => x !== null);
    const last = stillRouting || !stops.length ? null : Math.max(...stops);
    const lastNode = last === null ? null : nodes.find((n) => n.stoppedAt === last);
    const requests = nodes.map((n) => n.lastRequestAt).filter((x) => x !== null);
    return {
      apiDrainingAt: this.targetGroup.firstAt(target, 'draining'),
      apiHistory: this.targetGroup.history(target),
      nodes,
      lastStoppedAt: last,
      lastStoppedNode: lastNode ? `${lastNode.node} (${lastNode.stopReason})` : null,
      lastRequestAt: requests.length ? Math.max(...requests) : null,
    };
  }

  async stop() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.targetGroup.stop();
    await this.queue;
    await this.haproxy?.stop();
  }

  kill() {
    for (const t of this.timers) clearTimeout(t);
    this.targetGroup.stop();
    this.haproxy?.kill();
  }
}
