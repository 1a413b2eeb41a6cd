// The target group as the ELBv2 API shows it: what DescribeTargetHealth would answer for each target, and the
// history of every transition with its time. It is the API's view, not the data plane's: `draining` appears the
// moment DeregisterTargets is processed, while LB nodes go on routing to the target for a while (lb-nodes.mjs).
//
// This is the seam for an ELBv2 wire fake: `describeTargetHealth()` returns the API's own shapes
// (TargetHealthDescriptions), so a server speaking the Query/XML protocol can serve it as is (the sidecar's `aws`
// source inside the harness, a later phase).
//
// The API's health of a target is one value while each node has its own verdict; how AWS aggregates them is not
// documented. Here: `healthy` as soon as one node's check passed (the harsher choice: ALBC's readiness gate turns
// True before the other nodes route to the new pod), `unhealthy` when no node finds it healthy and one found it
// unhealthy, `initial` before any verdict.
import { EventEmitter } from 'node:events';

const REASONS = {
  initial: ['Elb.RegistrationInProgress', 'Target registration is in progress'],
  draining: ['Target.DeregistrationInProgress', 'Target deregistration is in progress'],
  unused: ['Target.NotRegistered', 'Target is not registered to the target group'],
};

export class TargetGroup extends EventEmitter {
  /** @param {{ deregistrationDelay: number }} o  ms from DeregisterTargets until the target is `unused` */
  constructor({ deregistrationDelay }) {
    super();
    this.deregistrationDelay = deregistrationDelay;
    /** @type {Map<object, { id: string, port: number, checkPort: number, state: string, reason: string | null, description: string | null, verdicts: Map<string, { healthy: boolean, reason: string, description: string }>, history: { state: string, reason: string | null, at: number }[], timer: any }>} */
    this.targets = new Map();
  }

  /** RegisterTargets. `healthy: true` for a target that was serving before the measurement began. */
  register(target, { healthy = false } = {}) {
    const t = {
      id: '127.0.0.1',
      port: target.port,
      checkPort: target.checkPort ?? target.port,
      state: '',
      reason: null,
      description: null,
      verdicts: new Map(),
      history: [],
      timer: null,
    };
    this.targets.set(target, t);
    if (healthy) this.#set(target, t, 'healthy', null, null);
    else this.#set(target, t, 'initial', ...REASONS.initial);
  }

  /** A node's health verdict on a target (on a change only). */
  verdict(target, node, healthy, reason, description) {
    const t = this.targets.get(target);
    if (!t) return;
    t.verdicts.set(node, { healthy, reason, description });
    if (t.state === 'draining' || t.state === 'unused') return;
    const all = [...t.verdicts.values()];
    const ok = all.find((v) => v.healthy);
    if (ok) this.#set(target, t, 'healthy', null, null);
    else if (all.length) this.#set(target, t, 'unhealthy', all[0].reason, all[0].description);
  }

  /** DeregisterTargets: `draining` at once; `unused` after the deregistration delay, or once the target is gone. */
  deregister(target) {
    const t = this.targets.get(target);
    if (!t || t.state === 'draining' || t.state === 'unused') return;
    this.#set(target, t, 'draining', ...REASONS.draining);
    t.timer = setTimeout(() => this.#set(target, t, 'unused', ...REASONS.unused), this.deregistrationDelay);
  }

  /** The target has no connection left (its process exited): a draining target completes early (ELB docs). */
  gone(target) {
    const t = this.targets.get(target);
    if (t?.state === 'draining') {
      clearTimeout(t.timer);
      this.#set(target, t, 'unused', ...REASONS.unused);
    }
  }

  #set(target, t, state, reason, description) {
    if (t.state === state && t.reason === reason) return;
    t.state = state;
    t.reason = reason;
    t.description = description;
    t.history.push({ state, reason, at: Date.now() });
    this.emit('change', target, state);
  }

  /** The target's current API state ('initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused'), or null. */
  state(target) {
    return this.targets.get(target)?.state ?? null;
  }

  /** When the target first entered `state` (epoch ms), or null. */
  firstAt(target, state) {
    return this.targets.get(target)?.history.find((h) => h.state === state)?.at ?? null;
  }

  history(target) {
    return this.targets.get(target)?.history ?? [];
  }

  /** What DescribeTargetHealth answers: one TargetHealthDescription per target (unused ones included). */
  describeTargetHealth() {
    return [...this.targets.values()].map((t) => ({
      Target: { Id: t.id, Port: t.port },
      HealthCheckPort: String(t.checkPort),
      TargetHealth: {
        State: t.state,
        ...(t.reason ? { Reason: t.reason } : {}),
        ...(t.description ? { Description: t.description } : {}),
      },
    }));
  }

  stop() {
    for (const t of this.targets.values()) clearTimeout(t.timer);
  }
}
