import type { WorkloadContext } from '../context.js';
import { get, isObj, type K8sObject, type Obj, objs, str } from '../objects.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { SIDECAR_DEFAULTS, settingField } from '../sidecar.js';
import { OLD_POD } from '../timelines.js';

/** A port that serves a preStop endpoint: core's management port, or the sidecar's when it listens beyond loopback. */
interface PrestopPort {
  readonly port: number;
  /** Its name on the container, if it has one (NetworkPolicies may name it). */
  readonly name: string | null;
  readonly what: string;
  readonly field: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function portName(ctx: WorkloadContext, port: number): string | null {
  for (const c of ctx.containers) {
    const p = objs(c.spec.ports).find((x) => x.containerPort === port);
    if (p) return str(p.name) ?? null;
  }
  return null;
}

function prestopPorts(ctx: WorkloadContext): PrestopPort[] {
  const out: PrestopPort[] = [];
  const mgmt = ctx.draingate?.env.DRAINGATE_MANAGEMENT_PORT;
  if (ctx.app && mgmt !== undefined && /^\d+$/.test(mgmt) && Number(mgmt) > 0) {
    out.push({
      port: Number(mgmt),
      name: portName(ctx, Number(mgmt)),
      what: `/prestop on the management port ${mgmt} (DRAINGATE_MANAGEMENT_PORT)`,
      field: `${ctx.app.path}.env[name=DRAINGATE_MANAGEMENT_PORT]`,
    });
  }
  const sc = ctx.sidecar;
  if (sc && sc.listenPort !== null) {
    const host = (sc.values.listen ?? SIDECAR_DEFAULTS.listen).replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (!LOOPBACK.has(host)) {
      out.push({
        port: sc.listenPort,
        name: portName(ctx, sc.listenPort),
        what: `the sidecar's /v1/prestop on port ${sc.listenPort} (--listen ${sc.values.listen})`,
        field: settingField(sc, 'listen'),
      });
    }
  }
  return out;
}

/** Does a NetworkPolicy isolate the pods' ingress? (`policyTypes` unset: every policy affects ingress.) */
function isolatesIngress(np: K8sObject): boolean {
  const types = get(np.raw, 'spec', 'policyTypes');
  return !Array.isArray(types) || types.includes('Ingress');
}

function admitsPort(rule: Obj, p: PrestopPort): boolean {
  const ports = objs(rule.ports);
  if (!Array.isArray(rule.ports) || ports.length === 0) return true;
  return ports.some((x) => {
    if (x.protocol !== undefined && x.protocol !== 'TCP') return false;
    if (x.port === undefined) return true;
    if (typeof x.port === 'string') return x.port === p.name;
    if (typeof x.port !== 'number') return false;
    const end = typeof x.endPort === 'number' ? x.endPort : x.port;
    return p.port >= x.port && p.port <= end;
  });
}

/** A label selector that selects everything: `{}` (no matchLabels, no matchExpressions). */
function selectsAll(s: unknown): boolean {
  return isObj(s) && Object.keys(isObj(s.matchLabels) ? s.matchLabels : {}).length === 0 && objs(s.matchExpressions).length === 0;
}

/** Why a rule's sources are the whole cluster (or more), or null when they are narrower. */
function clusterWide(rule: Obj): string | null {
  if (!Array.isArray(rule.from) || rule.from.length === 0) return 'from every source';
  for (const peer of objs(rule.from)) {
    const cidr = str(get(peer, 'ipBlock', 'cidr'));
    if (cidr?.endsWith('/0')) return `from ipBlock ${cidr}`;
    const ns = get(peer, 'namespaceSelector');
    const pods = get(peer, 'podSelector');
    if (selectsAll(ns) && (pods === undefined || selectsAll(pods))) return 'from every namespace';
  }
  return null;
}

/** Why `p` is reachable from the whole cluster, with the object to change, or null. */
function exposure(ctx: WorkloadContext, p: PrestopPort): { object: K8sObject; field: string | null; how: string } | null {
  const isolating = ctx.networkPolicies.filter(isolatesIngress);
  if (isolating.length === 0) {
    return {
      object: ctx.workload,
      field: p.field,
      how:
        ctx.networkPolicies.length === 0
          ? 'no NetworkPolicy in the input selects these pods'
          : 'no NetworkPolicy selecting these pods isolates their ingress',
    };
  }
  for (const np of isolating) {
    for (const [i, rule] of objs(get(np.raw, 'spec', 'ingress')).entries()) {
      const why = admitsPort(rule, p) ? clusterWide(rule) : null;
      if (why) return { object: np, field: `spec.ingress[${i}]`, how: `NetworkPolicy ${np.name} admits it ${why}` };
    }
  }
  return null;
}

export const prestopReachable: WorkloadRule = workloadRule({
  id: 'prestop-reachable',
  severity: 'warning',
  title: 'the preStop endpoint can be called from anywhere in the cluster',
  why: "GET /prestop (core's management port) and the sidecar's /v1/prestop have no authentication: any pod that reaches the port can drain the pod, and with one request per pod IP, drain and stop every replica. The management port is in no Service, but pod IPs are reachable from every pod unless a NetworkPolicy isolates them.",
  fix: "Add a NetworkPolicy that selects the pods and admits only the traffic port (from anywhere, for the load balancer): the pod's own node is always admitted, so the kubelet's probes and preStop httpGet still reach the management port. See examples/k8s/base/networkpolicy.yaml; scrape /metrics through an extra rule for your monitoring namespace only.",
  reasoning:
    'Kubernetes docs, Network Policies: "traffic to and from the node where a Pod is running is always allowed, regardless of the IP address of the Pod or the node", and the kubelet sends probes and preStop httpGet from the node to the pod IP. A policy is cluster-wide for a port when a rule admitting the port has no `from`, a namespaceSelector {} (every namespace) or an ipBlock /0. doctor sees only the NetworkPolicies in its input (and nothing of a policy engine: without one, a NetworkPolicy does nothing).',
  timeline: OLD_POD,
  check(ctx, report) {
    for (const p of prestopPorts(ctx)) {
      const e = exposure(ctx, p);
      if (e)
        report(
          e.object,
          e.field,
          `${p.what} is reachable from every pod in the cluster: ${e.how}. Any pod can drain this pod with one GET.`,
        );
    }
  },
});
