// The multi-node models (`--lb-model alb`, `nlb`): a load balancer of K nodes, as AWS runs one (lb-models.mjs
// gives each number and its source).
//
// Data plane: one HAProxy process with K frontend/backend pairs, one per node. They share nothing a node would
// not: each frontend has its own port (clients pick a node, as DNS round-robin spreads them), each backend its
// own connection pool to the targets, and every backend connection leaves from the node's own loopback address
// (`source 127.0.0.11`, .12, …), so the app sees K distinct peers, as behind an ALB or NLB in ip mode. ALB model:
// HTTP mode, `option forwardfor` (X-Forwarded-For is the client's), keep-alive to the targets (`http-reuse
// always`), no retries. NLB model: TCP mode, each client connection pinned to one target for its life.
//
// Control plane: the node's own view of each target, here in the harness, because AWS's is not HAProxy's:
// - RegisterTargets and DeregisterTargets reach each node after its own delay, drawn with the run's seed; a node
//   applies them in the order they were made.
// - Each node health-checks every target it has registered, itself, from its own address (`GET <path>`,
//   `User-Agent: ELB-HealthChecker/2.0`, a new connection each time), every `interval` from a phase of its own,
//   whatever the answer time; success is a 200 within `timeout`. A new target is healthy after ONE passing check;
//   a healthy one is unhealthy after `unhealthyThreshold` consecutive failures and healthy again after
//   `healthyThreshold` passes. A node stops checking a target once it applied the deregistration.
// - Routing: a node routes new requests (connections) to its healthy registered targets, and to an unhealthy one
//   until it acts on that verdict (`propagation.unhealthy`: at once for the ALB, 30–40 s for the NLB). When none
//   is healthy it fails open: it routes to every registered target. The NLB model also resets the client
//   connections of a target when the node finds it unhealthy (unless that makes it fail open).
// Each decision is applied with `set server … state ready|maint` (in-flight requests and, in TCP mode,
// established connections continue on `maint`) and recorded in the target's routing record (lb-base.mjs).
import http from 'node:http';
import { freePort, LOG_FORMAT, runHaproxy, SLOTS } from './haproxy.mjs';
import { LoadBalancer } from './lb-base.mjs';
import { nodeAddress } from './lb-models.mjs';
import { uniform } from './seeded.mjs';

export const HEALTH_CHECK_USER_AGENT = 'ELB-HealthChecker/2.0';

/** @param {{ model: import('./lb-models.mjs').LbModel, checkPath: string, seed: number }} o */
export async function startNodesLb({ model, checkPath, seed }) {
  const nodes = [];
  for (const [i, share] of model.shares.entries()) {
    nodes.push({
      name: `node${i + 1}`,
      address: nodeAddress(i),
      port: await freePort(),
      share,
      frontend: `fe${i + 1}`,
      backend: `be${i + 1}`,
    });
  }
  const lb = new NodesLb({ model, nodes, seed, checkPath });
  lb.haproxy = await runHaproxy((sock) => haproxyConfig(sock, model, nodes), { onLog: (line) => lb.onLog(line) });
  lb.targetGroup.on('change', (target, state) => {
    // After the deregistration delay the target is `unused`: in-flight requests are dropped (ALB docs).
    if (state === 'unused' && !target.exitedAt) lb.dropSessions(target);
  });
  return lb;
}

function haproxyConfig(sock, model, nodes) {
  const http = model.mode === 'http';
  const idle = `${model.idleTimeout / 1000}s`;
  const lines = [
    'global',
    `  stats socket ${sock} mode 600 level admin`,
    '  stats timeout 1m',
    '  log stdout format raw local0',
    '',
    'defaults',
    `  mode ${model.mode}`,
    '  log global',
    `  log-format "${LOG_FORMAT[model.mode]}"`,
    '  timeout connect 2s',
    // ALB: the client side may idle a little longer than the LB's 60 s towards the targets (as the single model).
    `  timeout client ${http ? '65s' : idle}`,
    `  timeout server ${idle}`,
    ...(http ? ['  timeout http-request 10s', `  timeout http-keep-alive ${idle}`] : []),
    '  retries 0',
    '  no option redispatch',
    '  no option abortonclose',
  ];
  for (const n of nodes) {
    lines.push(
      '',
      `frontend ${n.frontend}`,
      `  bind 127.0.0.1:${n.port}`,
      ...(http
        ? [
            '  option forwardfor',
            '  http-request set-header X-Forwarded-Proto http',
            '  http-request set-header X-Forwarded-Port %[dst_port]',
          ]
        : []),
      `  default_backend ${n.backend}`,
      '',
      `backend ${n.backend}`,
      '  balance roundrobin',
      ...(http ? ['  http-reuse always'] : []),
      `  default-server source ${n.address}${http ? ` pool-purge-delay ${idle}` : ''}`,
      `  server-template pod 1-${SLOTS} 127.0.0.1:1 disabled`,
    );
  }
  return `${lines.join('\n')}\n`;
}

class NodesLb extends LoadBalancer {
  constructor(o) {
    super(o);
    this.checkPath = o.checkPath;
    /** Per node: Map<target, NodeTarget>, the node's own view of each target it has registered. */
    this.views = this.nodes.map(() => new Map());
    /** Per node and target: when the node applies the last change made to it (changes apply in order). */
    this.applyAt = this.nodes.map(() => new Map());
    /** Per node: fail-open periods, [{ from, to }]. */
    this.failOpen = this.nodes.map(() => []);
  }

  #draw(kind, target, i, range) {
    return Math.round(uniform(this.seed, `${kind} ${target.name ?? target.port} ${i}`, range));
  }

  /** Applies `fn` on node `i` after `delay`, not before the node applied the previous change to `target`. */
  #schedule(i, target, delay, fn) {
    const at = Math.max(Date.now() + delay, (this.applyAt[i].get(target) ?? 0) + 1);
    this.applyAt[i].set(target, at);
    this.later(at - Date.now(), fn);
  }

  /**
   * RegisterTargets: the API shows `initial` at once; each node applies it after its own delay. `initial: true`
   * for pods that served before the measurement: registered and healthy on every node at once.
   */
  async register(target, { initial = false } = {}) {
    if (this.records.has(target)) return;
    this.allocSlot(target);
    if (initial) {
      // Healthy in the API (and so the readiness gate) only once every node routes to it.
      for (const i of this.nodes.keys()) this.#applyRegister(i, target, true);
      await this.queue;
      this.targetGroup.register(target, { healthy: true });
      return;
    }
    this.targetGroup.register(target);
    for (const i of this.nodes.keys()) {
      this.#schedule(i, target, this.#draw('register', target, i, this.model.propagation.register), () =>
        this.#applyRegister(i, target, false),
      );
    }
  }

  /** DeregisterTargets: the API shows `draining` at once; each node stops routing after its own delay. */
  async deregister(target) {
    if (!this.records.has(target) || this.targetGroup.state(target) === 'draining') return;
    this.targetGroup.deregister(target);
    for (const i of this.nodes.keys()) {
      this.#schedule(i, target, this.#draw('deregister', target, i, this.model.propagation.deregister), () =>
        this.#applyDeregister(i, target),
      );
    }
  }

  exited(target) {
    this.targetGroup.gone(target);
    this.#maybeFree(target);
  }

  #applyRegister(i, target, healthy) {
    const rec = this.records.get(target);
    if (!rec) return;
    const nt = { target, slot: rec.slot, phase: 'registered', health: healthy ? 'healthy' : 'initial', passes: 0, fails: 0, acting: false };
    nt.actTimer = null;
    nt.checkTimer = null;
    nt.unhealthyCount = 0;
    nt.routing = false;
    this.views[i].set(target, nt);
    rec.nodes[i].registeredAt = Date.now();
    this.send([`set server ${this.nodes[i].backend}/pod${rec.slot} addr 127.0.0.1 port ${target.port}`]);
    this.#startChecks(i, nt);
    this.#route(i);
  }

  #applyDeregister(i, target) {
    const nt = this.views[i].get(target);
    const rec = this.records.get(target);
    if (!rec) return;
    rec.nodes[i].deregisteredAt = Date.now();
    if (nt) {
      nt.phase = 'draining';
      clearTimeout(nt.checkTimer);
      clearTimeout(nt.actTimer);
      this.#route(i);
    }
    this.#maybeFree(target);
  }

  /** Frees the slot once the target is gone and every node has applied its deregistration. */
  #maybeFree(target) {
    const rec = this.records.get(target);
    if (!rec || !target.exitedAt || rec.nodes.some((n) => n.deregisteredAt === null)) return;
    for (const view of this.views) view.delete(target);
    this.freeSlot(target);
  }

  #startChecks(i, nt) {
    const { interval } = this.model.healthCheck;
    // Each node checks each target on its own schedule: a phase drawn per node and target.
    let next = Date.now() + this.#draw('check-phase', nt.target, i, [0, interval]);
    const tick = () => {
      if (nt.phase !== 'registered') return;
      next += interval;
      nt.checkTimer = this.later(Math.max(0, next - Date.now()), tick);
      void this.#check(i, nt).then((result) => this.#onCheck(i, nt, result));
    };
    nt.checkTimer = this.later(Math.max(0, next - Date.now()), tick);
  }

  #check(i, nt) {
    const hc = this.model.healthCheck;
    const node = this.nodes[i];
    const port = nt.target.checkPort ?? nt.target.port;
    return healthCheck({
      localAddress: node.address,
      port,
      path: this.checkPath,
      host: hc.host === 'node' ? `${node.address}:${port}` : `127.0.0.1:${port}`,
      timeout: hc.timeout,
    });
  }

  #onCheck(i, nt, result) {
    if (nt.phase !== 'registered' || this.views[i].get(nt.target) !== nt) return;
    const hc = this.model.healthCheck;
    const before = nt.health;
    if (result.ok) {
      nt.fails = 0;
      nt.passes++;
      if (nt.health === 'initial' || (nt.health === 'unhealthy' && nt.passes >= hc.healthyThreshold)) nt.health = 'healthy';
    } else {
      nt.passes = 0;
      nt.fails++;
      if (nt.health !== 'unhealthy' && nt.fails >= hc.unhealthyThreshold) nt.health = 'unhealthy';
    }
    if (nt.health === before) return;
    const node = this.nodes[i].name;
    this.targetGroup.verdict(nt.target, node, nt.health === 'healthy', result.reason ?? null, result.description ?? null);
    if (nt.health === 'healthy') {
      clearTimeout(nt.actTimer);
      nt.acting = false;
    } else if (nt.health === 'unhealthy') {
      // Resets the client connections unless the node is about to fail open (every registered target unhealthy).
      const view = [...this.views[i].values()].filter((x) => x.phase === 'registered');
      if (this.model.resetOnUnhealthy && view.some((x) => x.health === 'healthy')) this.dropSessions(nt.target, i);
      const delay = this.#draw(`unhealthy#${++nt.unhealthyCount}`, nt.target, i, this.model.propagation.unhealthy);
      if (delay === 0) nt.acting = true;
      else
        nt.actTimer = this.later(delay, () => {
          nt.acting = true;
          this.#route(i);
        });
    }
    this.#route(i);
  }

  /** Node `i` routes to its healthy registered targets (and to unhealthy ones it has not acted on yet), else to all. */
  #route(i) {
    const view = [...this.views[i].values()];
    const registered = view.filter((nt) => nt.phase === 'registered');
    const inService = registered.filter((nt) => nt.health === 'healthy' || (nt.health === 'unhealthy' && !nt.acting));
    const failOpen = inService.length === 0 && registered.length > 0 && this.model.failOpen;
    const route = new Set(failOpen ? registered : inService);
    const periods = this.failOpen[i];
    const open = periods.at(-1)?.to === null;
    if (failOpen && !open) periods.push({ from: Date.now(), to: null });
    if (!failOpen && open) periods.at(-1).to = Date.now();
    const cmds = [];
    const stopped = [];
    for (const nt of view) {
      const want = route.has(nt);
      if (want === nt.routing) continue;
      nt.routing = want;
      cmds.push(`set server ${this.nodes[i].backend}/pod${nt.slot} state ${want ? 'ready' : 'maint'}`);
      const reason = nt.phase === 'draining' ? 'deregistered' : nt.health === 'unhealthy' ? 'unhealthy' : 'not healthy';
      this.setRouting(nt.target, i, want, reason);
      const n = this.records.get(nt.target)?.nodes[i];
      if (!want && n) stopped.push([n, n.stoppedAt]);
    }
    // A stop counts from when HAProxy acknowledged it (a request may still be routed until then).
    void this.send(cmds).then(() => {
      for (const [n, decided] of stopped) if (!n.routing && n.stoppedAt === decided) n.stoppedAt = Date.now();
    });
  }

  /** Resets the connections of `target` on node `i` (or every node). */
  dropSessions(target, i = null) {
    const rec = this.records.get(target);
    if (!rec) return;
    const nodes = i === null ? [...this.nodes.keys()] : [i];
    this.send(nodes.map((n) => `shutdown sessions server ${this.nodes[n].backend}/pod${rec.slot}`));
  }

  /** Each node's fail-open periods (epoch ms; `to` null while still open). */
  failOpenPeriods() {
    return this.nodes.map((n, i) => ({ node: n.name, periods: this.failOpen[i].map((p) => ({ ...p })) }));
  }
}

/**
 * One health check as an ELB node sends it: a new connection from `localAddress`, `GET <path>` with `Host` and
 * `User-Agent: ELB-HealthChecker/2.0`; healthy on a 200 within `timeout` ms. The reason codes are ELBv2's.
 * @returns {Promise<{ ok: boolean, reason?: string, description?: string }>}
 */
export function healthCheck({ localAddress, port, path, host, timeout }) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        localAddress,
        agent: false,
        headers: { host, 'user-agent': HEALTH_CHECK_USER_AGENT },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          finish(
            res.statusCode === 200
              ? { ok: true }
              : {
                  ok: false,
                  reason: 'Target.ResponseCodeMismatch',
                  description: `Health checks failed with these codes: [${res.statusCode}]`,
                },
          ),
        );
        res.on('error', () => finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }));
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' });
      req.destroy();
    }, timeout);
    req.on('error', () => finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }));
    req.end();
  });
}
