// What the benchmark sees of the pods, from one pod watch (times are when this process saw the change): each gate
// transition (to catch a gate written False after True), when the deletion was seen, the deletion deadline, and the
// controller's deregistration record (when the ELBv2 API first showed the pod's target gone).
import { listWatch } from './kube.mjs';

const RECORD = 'draingate.io/deregistration-started';

export class PodObserver {
  constructor(kube, namespace, gate = 'draingate.io/lb-ready') {
    this.kube = kube;
    this.namespace = namespace;
    this.gate = gate;
    /** name → record */
    this.pods = new Map();
  }

  start() {
    this.stopWatch = listWatch(this.kube, `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`, {}, (type, p) =>
      this.#see(type, p),
    );
    return this;
  }

  #see(type, p) {
    const now = Date.now();
    const name = p.metadata.name;
    let r = this.pods.get(name);
    if (!r) {
      r = {
        name,
        uid: p.metadata.uid,
        template: p.metadata.labels?.['pod-template-hash'] ?? '',
        createdAt: Date.parse(p.metadata.creationTimestamp),
        ip: null,
        gates: [],
        gateTrueAt: null,
        deletionSeenAt: null,
        deadline: null,
        recordStartedAt: null,
        recordSeenAt: null,
        goneAt: null,
      };
      this.pods.set(name, r);
    }
    r.ip ??= p.status?.podIP ?? null;
    const g = p.status?.conditions?.find((c) => c.type === this.gate);
    const last = r.gates.at(-1);
    if (g && g.status !== last?.status) {
      r.gates.push({ status: g.status, reason: g.reason, at: now });
      if (g.status === 'True') r.gateTrueAt ??= now;
    }
    if (p.metadata.deletionTimestamp && r.deletionSeenAt === null) {
      r.deletionSeenAt = now;
      r.deadline = Date.parse(p.metadata.deletionTimestamp);
    }
    const rec = p.status?.conditions?.find((c) => c.type === RECORD);
    const m = rec?.status === 'True' ? /^startedAt=(\S+)/.exec(rec.message ?? '') : null;
    if (m && r.recordStartedAt === null) {
      r.recordStartedAt = Date.parse(m[1]);
      r.recordSeenAt = now;
    }
    if (type === 'DELETED') r.goneAt = now;
  }

  /** Pods whose gate was True and later False (the rule a controller must never break). */
  falseAfterTrue() {
    return [...this.pods.values()].filter((r) => {
      const i = r.gates.findIndex((g) => g.status === 'True');
      return i >= 0 && r.gates.slice(i).some((g) => g.status === 'False');
    });
  }

  async stop() {
    await this.stopWatch?.();
  }
}

/** The Lease's holder, polled every 200 ms: when it changed. */
export class LeaseObserver {
  constructor(kube, namespace, name) {
    this.kube = kube;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
    this.changes = [];
    this.holder = null;
  }

  start() {
    this.timer = setInterval(() => {
      this.kube.request('GET', this.path).then(
        (l) => {
          const h = l.spec?.holderIdentity || null;
          if (h !== this.holder) {
            this.holder = h;
            this.changes.push({ holder: h, at: Date.now() });
          }
        },
        () => {},
      );
    }, 200);
    return this;
  }

  stop() {
    clearInterval(this.timer);
  }
}
