// An emulated AWS Load Balancer Controller for one Service and its target group, as ALBC decides (research/aws-
// facts.md, pkg/backend/endpoint_resolver.go): it registers the Service's endpoints that are ready, or not ready
// but ContainersReady and not terminating, and deregisters the others (a terminating endpoint is dropped) — read
// from the EndpointSlices the real endpointslice controller writes, and the pods. It reconciles on EndpointSlice and
// pod changes (real ALBC does so on pod events only for pods that carry its own readiness gate: the benchmark's
// pods stand for pods in a namespace labelled for that injection), after `lagMs`, in batches of 200. Its target
// cache is refreshed with one DescribeTargetHealth every 5 minutes, drawn from the account's bucket like every
// other caller; when that call is throttled, the reconcile fails and is retried with a backoff (1 s × 2ⁿ, ≤ 60 s),
// which delays registration and deregistration: the harm of a throttled account.
import { listWatch } from './kube.mjs';

const CACHE_MS = 5 * 60_000;

export class AlbcEmulator {
  /**
   * @param {{ kube: any, elb: import('@draingate/testkit/elbv2').FakeElbv2, namespace: string, service: string,
   *   targetGroupArn: string, port: number, lagMs: number }} o
   */
  constructor(o) {
    this.o = o;
    this.pods = new Map();
    this.slices = new Map();
    /** ip → pod name, registered by us */
    this.registered = new Map();
    this.stats = { registers: 0, deregisters: 0, describeCalls: 0, throttled: 0, reconciles: 0, failedReconciles: 0 };
    this.cacheAt = 0;
    this.timer = null;
    this.failures = 0;
    this.stops = [];
  }

  start() {
    const ns = encodeURIComponent(this.o.namespace);
    this.stops.push(
      listWatch(this.o.kube, `/api/v1/namespaces/${ns}/pods`, {}, (type, p) => {
        if (type === 'DELETED') this.pods.delete(p.metadata.name);
        else this.pods.set(p.metadata.name, p);
        this.schedule();
      }),
      listWatch(
        this.o.kube,
        `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
        { labelSelector: `kubernetes.io/service-name=${this.o.service}` },
        (type, s) => {
          if (type === 'DELETED') this.slices.delete(s.metadata.name);
          else this.slices.set(s.metadata.name, s);
          this.schedule();
        },
      ),
    );
    return this;
  }

  schedule(ms = this.o.lagMs) {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reconcile();
    }, ms);
  }

  desired() {
    const want = new Map();
    for (const s of this.slices.values()) {
      for (const e of s.endpoints ?? []) {
        const ip = e.addresses?.[0];
        const name = e.targetRef?.name;
        if (!ip || !name) continue;
        const c = e.conditions ?? {};
        const pod = this.pods.get(name);
        const containersReady = pod?.status?.conditions?.some((x) => x.type === 'ContainersReady' && x.status === 'True');
        if (c.ready || (!c.terminating && !pod?.metadata?.deletionTimestamp && containersReady)) want.set(ip, name);
      }
    }
    return want;
  }

  reconcile() {
    if (this.closed) return;
    this.stats.reconciles++;
    const want = this.desired();
    const add = [...want.keys()].filter((ip) => !this.registered.has(ip));
    const drop = [...this.registered.keys()].filter((ip) => !want.has(ip));
    if (add.length === 0 && drop.length === 0) return;
    if (Date.now() - this.cacheAt > CACHE_MS) {
      this.stats.describeCalls++;
      if (!this.o.elb.describeAs('albc')) {
        this.stats.throttled++;
        this.stats.failedReconciles++;
        this.failures++;
        this.schedule(Math.min(60_000, 1000 * 2 ** (this.failures - 1)));
        return;
      }
      this.cacheAt = Date.now();
    }
    this.failures = 0;
    const t = this.o.elb.targets;
    for (const ip of add.slice(0, 200)) {
      t.register(this.o.targetGroupArn, ip, this.o.port);
      this.registered.set(ip, want.get(ip));
      this.stats.registers++;
    }
    for (const ip of drop.slice(0, 200)) {
      t.deregister(this.o.targetGroupArn, ip, this.o.port);
      this.registered.delete(ip);
      this.stats.deregisters++;
    }
    if (add.length > 200 || drop.length > 200) this.schedule(1000);
  }

  async stop() {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.all(this.stops.map((s) => s()));
  }
}
