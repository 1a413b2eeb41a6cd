/**
 * Everything that belongs to one workload (Deployment, StatefulSet, DaemonSet or Pod): its pod template, app and
 * sidecar containers, Services, load balancers, Namespace, PDBs, NetworkPolicies, and the facts several rules read
 * from them.
 * Rules receive it; they do not search the input themselves (except for RBAC, which they find in `all`).
 */
import { type DraingateSettings, draingateSettings } from './draingate-env.js';
import { ingressBackends, type LoadBalancer, loadBalancersFor } from './load-balancers.js';
import { get, isObj, type K8sObject, type Obj, objs, str } from './objects.js';
import { type ContainerInfo, containers } from './pod.js';
import { isSidecarContainer, SIDECAR_GATE, type SidecarInfo, sidecarInfo } from './sidecar.js';

export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod']);
export const KNOWN_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Pod',
  'Service',
  'Ingress',
  'Namespace',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'HorizontalPodAutoscaler',
  'NetworkPolicy',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

export const NAMESPACE_LABEL = 'elbv2.k8s.aws/pod-readiness-gate-inject';

/**
 * The prefixes of the AWS Load Balancer Controller's readiness-gate condition types (`target-health.elbv2.k8s.aws/<tgb>`;
 * the legacy AWS ALB Ingress Controller's `target-health.alb.ingress.k8s.aws/…`): aws-load-balancer-controller
 * docs/deploy/pod_readiness_gate.md.
 */
export const ALBC_GATE_PREFIXES: readonly string[] = ['target-health.elbv2.k8s.aws/', 'target-health.alb.ingress.k8s.aws/'];

export interface WorkloadContext {
  readonly workload: K8sObject;
  readonly namespace: string | null;
  /** `spec.template.spec`, or `spec` for a bare Pod. */
  readonly podPath: string;
  readonly pod: Obj;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly replicas: number;
  readonly containers: readonly ContainerInfo[];
  /** The container serving the Service's target port (else the first container). */
  readonly app: ContainerInfo | null;
  readonly sidecar: SidecarInfo | null;
  readonly draingate: DraingateSettings | null;
  readonly services: readonly K8sObject[];
  readonly ingresses: readonly K8sObject[];
  readonly loadBalancers: readonly LoadBalancer[];
  readonly namespaceObject: K8sObject | null;
  readonly pdbs: readonly K8sObject[];
  /** The NetworkPolicies of the workload's namespace whose podSelector selects its pods. */
  readonly networkPolicies: readonly K8sObject[];
  readonly all: readonly K8sObject[];
}

const sameNamespace = (a: string | null, b: string | null): boolean => a === null || b === null || a === b;

/** Does a label selector (`matchLabels` + `matchExpressions`, or a plain map for Services) select these labels? */
export function selects(selector: unknown, labels: Readonly<Record<string, string>>, plainMap = false, emptyMatchesAll = false): boolean {
  if (!isObj(selector)) return false;
  const matchLabels = plainMap ? selector : isObj(selector.matchLabels) ? selector.matchLabels : {};
  const expressions = plainMap ? [] : objs(selector.matchExpressions);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return emptyMatchesAll;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== String(v)) return false;
  for (const e of expressions) {
    const key = str(e.key) ?? '';
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    const has = key in labels;
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[key] as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key] as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Does this container expose the Service's target port (a number or a port name)? */
function servesPort(c: ContainerInfo, targetPort: unknown): boolean {
  return objs(c.spec.ports).some((p) => p.containerPort === targetPort || (typeof targetPort === 'string' && p.name === targetPort));
}

/** Gathers everything that belongs to one Deployment/StatefulSet. */
export function buildContext(workload: K8sObject, all: readonly K8sObject[]): WorkloadContext {
  const bare = workload.kind === 'Pod';
  const podPath = bare ? 'spec' : 'spec.template.spec';
  const pod = ((bare ? get(workload.raw, 'spec') : get(workload.raw, 'spec', 'template', 'spec')) ?? {}) as Obj;
  const podLabels: Record<string, string> = {};
  const rawLabels = bare ? get(workload.raw, 'metadata', 'labels') : get(workload.raw, 'spec', 'template', 'metadata', 'labels');
  if (isObj(rawLabels)) for (const [k, v] of Object.entries(rawLabels)) podLabels[k] = String(v);
  const ns = workload.namespace;
  const list = containers(pod, podPath);
  const services = all.filter(
    (o) => o.kind === 'Service' && sameNamespace(o.namespace, ns) && selects(get(o.raw, 'spec', 'selector'), podLabels, true),
  );
  const targetPorts = services.flatMap((s) => objs(get(s.raw, 'spec', 'ports')).map((p) => p.targetPort ?? p.port));
  const main = list.filter((c) => !c.init);
  const app = main.find((c) => targetPorts.some((tp) => servesPort(c, tp))) ?? main.find((c) => !isSidecarContainer(c)) ?? null;
  const sidecarContainer = list.find(isSidecarContainer);
  const sidecar = sidecarContainer ? sidecarInfo(sidecarContainer) : null;
  const serviceNames = new Set(services.map((s) => s.name));
  const ingresses = all.filter(
    (o) => o.kind === 'Ingress' && sameNamespace(o.namespace, ns) && ingressBackends(o).some((n) => serviceNames.has(n)),
  );
  const loadBalancers = loadBalancersFor(services, ingresses);
  const namespaces = all.filter((o) => o.kind === 'Namespace');
  const namespaceObject =
    ns !== null ? (namespaces.find((n) => n.name === ns) ?? null) : namespaces.length === 1 ? (namespaces[0] as K8sObject) : null;
  // policy/v1: an empty (but present) selector selects every pod of the namespace; policy/v1beta1: none.
  const pdbs = all.filter(
    (o) =>
      o.kind === 'PodDisruptionBudget' &&
      sameNamespace(o.namespace, ns) &&
      selects(get(o.raw, 'spec', 'selector'), podLabels, false, o.apiVersion === 'policy/v1'),
  );
  // networking/v1: an empty podSelector selects every pod of the namespace.
  const networkPolicies = all.filter(
    (o) =>
      o.kind === 'NetworkPolicy' && sameNamespace(o.namespace, ns) && selects(get(o.raw, 'spec', 'podSelector'), podLabels, false, true),
  );
  // Charts with autoscaling on leave spec.replicas out: the HPA scaling this workload keeps at least minReplicas.
  const hpa = all.find(
    (o) =>
      o.kind === 'HorizontalPodAutoscaler' &&
      sameNamespace(o.namespace, ns) &&
      get(o.raw, 'spec', 'scaleTargetRef', 'kind') === workload.kind &&
      get(o.raw, 'spec', 'scaleTargetRef', 'name') === workload.name,
  );
  const minReplicas = get(hpa?.raw, 'spec', 'minReplicas');
  const replicasRaw = get(workload.raw, 'spec', 'replicas') ?? (hpa ? (typeof minReplicas === 'number' ? minReplicas : 1) : undefined);
  return {
    workload,
    namespace: ns,
    podPath,
    pod,
    podLabels,
    replicas: typeof replicasRaw === 'number' ? replicasRaw : 1,
    containers: list,
    app,
    sidecar,
    draingate: draingateSettings(app),
    services,
    ingresses,
    loadBalancers,
    namespaceObject,
    pdbs,
    networkPolicies,
    all,
  };
}

// Facts several rules read.

/** `terminationGracePeriodSeconds` (Kubernetes' default 30 when not set) and the field to change. */
export function terminationGrace(ctx: WorkloadContext): { seconds: number; field: string } {
  const set = typeof ctx.pod.terminationGracePeriodSeconds === 'number';
  return {
    seconds: set ? (ctx.pod.terminationGracePeriodSeconds as number) : 30,
    field: `${ctx.podPath}.terminationGracePeriodSeconds${set ? '' : ' (not set: 30)'}`,
  };
}

/** The condition types of the pod's declared `readinessGates`. */
export function declaredGates(ctx: WorkloadContext): string[] {
  return objs(ctx.pod.readinessGates).map((g) => str(g.conditionType) ?? '');
}

/**
 * The declared readiness gates that only draingate's sidecar writes: its condition type (`--condition-type`), and the
 * default one even without a sidecar (a gate nobody writes is another rule's finding).
 */
export function draingateGates(ctx: WorkloadContext): string[] {
  const own = new Set([SIDECAR_GATE, ...(ctx.sidecar ? [ctx.sidecar.conditionType] : [])]);
  return declaredGates(ctx).filter((g) => own.has(g));
}

/** The declared readiness gates of the AWS Load Balancer Controller (its webhook injects them in ip mode). */
export function albcGates(ctx: WorkloadContext): string[] {
  return declaredGates(ctx).filter((g) => ALBC_GATE_PREFIXES.some((p) => g.startsWith(p)));
}

/** The load balancers that target pod IPs (the AWS Load Balancer Controller's readiness gate exists only for these). */
export function ipTargets(ctx: WorkloadContext): LoadBalancer[] {
  return ctx.loadBalancers.filter((lb) => lb.targetType === 'ip');
}

/** Is the workload's Namespace in the input and labelled for the controller's readiness-gate injection? */
export function namespaceLabelled(ctx: WorkloadContext): boolean {
  return ctx.namespaceObject?.labels[NAMESPACE_LABEL] === 'enabled';
}

/** The app's preStop, when it is an httpGet to the sidecar's port (`/v1/prestop`). */
export function sidecarPreStop(ctx: WorkloadContext): { port: number; field: string } | null {
  const app = ctx.app;
  const sc = ctx.sidecar;
  if (!app || !sc) return null;
  const port = get(app.spec, 'lifecycle', 'preStop', 'httpGet', 'port');
  const named = typeof port === 'string' ? objs(app.spec.ports).find((p) => p.name === port)?.containerPort : undefined;
  const number = typeof port === 'number' ? port : typeof named === 'number' ? named : /^\d+$/.test(String(port)) ? Number(port) : null;
  if (number === null || number !== sc.listenPort) return null;
  return { port: number, field: `${app.path}.lifecycle.preStop.httpGet` };
}
