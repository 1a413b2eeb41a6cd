import { parseDuration, SIDECAR_SETTINGS, type SidecarSettingSpec } from '@draingate/core';
import { CORE_DEFAULTS, tryCoreDuration } from './draingate-env.js';
import { get, isObj, type K8sObject, type Obj, objs, str } from './objects.js';

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
]);

export const NAMESPACE_LABEL = 'elbv2.k8s.aws/pod-readiness-gate-inject';

/** One container of the pod template, with its field path. */
export interface ContainerInfo {
  readonly spec: Obj;
  readonly name: string;
  /** e.g. `spec.template.spec.containers[name=app]` */
  readonly path: string;
  readonly init: boolean;
}

/** The load balancer health check as the AWS Load Balancer Controller will configure it. */
export interface HealthCheck {
  readonly protocol: string;
  /** `null` for TCP health checks. */
  readonly path: string | null;
  readonly intervalSeconds: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
}

/** One load balancer (target group) in front of the workload. */
export interface LoadBalancer {
  readonly type: 'alb' | 'nlb';
  /** The Ingress (ALB) or Service (NLB) whose annotations configure it. */
  readonly object: K8sObject;
  /** The Service whose pods are the targets. */
  readonly service: K8sObject;
  readonly targetType: 'ip' | 'instance';
  readonly healthCheck: HealthCheck;
  readonly deregistrationDelaySeconds: number;
  /** Where each setting was read from: `metadata.annotations[...]` or `(default)`. */
  readonly fields: Readonly<Record<'targetType' | 'path' | 'protocol' | 'interval' | 'unhealthy' | 'deregistration', string>>;
  /** The object that carried each annotation (Service annotations override the Ingress's). */
  readonly origins: Readonly<Record<'targetType' | 'path' | 'protocol' | 'interval' | 'unhealthy' | 'deregistration', K8sObject>>;
}

/** The draingate sidecar, if the pod runs one, with the settings it reads (flags win over env, as in the sidecar). */
export interface SidecarInfo {
  readonly container: ContainerInfo;
  /** `--source` / `DRAINGATE_SOURCE` (required by the sidecar: no default); `null` when not set. */
  readonly source: string | null;
  /** `--condition-type` / `DRAINGATE_CONDITION_TYPE`, default {@link SIDECAR_GATE}. */
  readonly conditionType: string;
  /** Port of `--listen` / `DRAINGATE_LISTEN` (default from the sidecar's settings). */
  readonly listenPort: number | null;
  /** Every setting given, flag → value (`(from valueFrom)` when doctor cannot see it). */
  readonly values: Readonly<Record<string, string>>;
  /** Where each setting came from: `--flag` or the environment variable. */
  readonly from: Readonly<Record<string, string>>;
  /** A native sidecar: an init container with `restartPolicy: Always`. */
  readonly native: boolean;
}

function sidecarSetting(flag: string): SidecarSettingSpec {
  const s = SIDECAR_SETTINGS.find((x) => x.flag === flag);
  if (!s) throw new Error(`doctor: the sidecar's settings have no --${flag}`);
  return s;
}

function sidecarDefault(flag: string): string {
  const value = sidecarSetting(flag).default;
  if (value === null) throw new Error(`doctor: the sidecar's --${flag} has no default`);
  return value;
}

/**
 * Each setting's environment variable, by flag (`listen` → `DRAINGATE_LISTEN`), from the sidecar's own settings
 * table, which core hosts (`SIDECAR_SETTINGS`): doctor does not depend on the sidecar package (its AWS SDK and
 * Kubernetes client).
 */
export const SIDECAR_ENV: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(SIDECAR_SETTINGS.map((s) => [s.flag, s.env])),
);

/** The sidecar's defaults that doctor's rules use (durations in milliseconds, parsed by core as the sidecar does). */
export const SIDECAR_DEFAULTS: {
  readonly conditionType: string;
  readonly listen: string;
  readonly targetType: string;
  readonly healthyThreshold: number;
  readonly appDrainBudget: number;
} = Object.freeze({
  conditionType: sidecarDefault('condition-type'),
  listen: sidecarDefault('listen'),
  targetType: sidecarDefault('target-type'),
  healthyThreshold: Number(sidecarDefault('healthy-threshold')),
  appDrainBudget: parseDuration(sidecarDefault('app-drain-budget'), 'app-drain-budget'),
});

/** The readiness gate the sidecar writes unless told otherwise (`--condition-type`). */
export const SIDECAR_GATE: string = SIDECAR_DEFAULTS.conditionType;

/** The values `--source` accepts. */
export const SIDECAR_SOURCES: readonly string[] = sidecarSetting('source').values ?? [];

/** The draingate settings of the app container, from its `DRAINGATE_*` env, with core's defaults. */
export interface DraingateSettings {
  /** true when the container sets any DRAINGATE_* variable (else the app is assumed to use draingate because of its probes). */
  readonly explicit: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly gracePeriod: number;
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly drainTimeout: number;
  readonly hooksTimeout: number;
  readonly lbUnhealthyThreshold: number;
  readonly sidecarUrl: string | null;
  /** Variables given through valueFrom/envFrom, whose values doctor cannot see. */
  readonly unresolved: readonly string[];
}

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

function containers(pod: Obj, base: string): ContainerInfo[] {
  const out: ContainerInfo[] = [];
  for (const [list, init] of [
    ['initContainers', true],
    ['containers', false],
  ] as const) {
    for (const [i, c] of objs(pod[list]).entries()) {
      const name = str(c.name) ?? `#${i}`;
      out.push({ spec: c, name, path: `${base}.${list}[name=${name}]`, init });
    }
  }
  return out;
}

function isSidecarContainer(c: ContainerInfo): boolean {
  const image = str(c.spec.image) ?? '';
  const words = [...(Array.isArray(c.spec.command) ? c.spec.command : []), ...(Array.isArray(c.spec.args) ? c.spec.args : [])].map(String);
  return (
    c.name === 'draingate-sidecar' || /draingate\/sidecar|draingate-sidecar/.test(image) || words.some((w) => /draingate-sidecar/.test(w))
  );
}

/** The sidecar's settings as `{ flag: value }`, from `--flag value` / `--flag=value` arguments, else its env. */
function sidecarSettings(c: ContainerInfo): { values: Record<string, string>; from: Record<string, string> } {
  const args = [...(Array.isArray(c.spec.command) ? c.spec.command : []), ...(Array.isArray(c.spec.args) ? c.spec.args : [])].map(String);
  const values: Record<string, string> = {};
  const from: Record<string, string> = {};
  for (const [i, a] of args.entries()) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const flag = m[1] as string;
    const value = m[2] ?? args[i + 1];
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) continue;
    values[flag] = value;
    from[flag] = `--${flag}`;
  }
  const { env, unresolved } = envOf(c.spec);
  for (const [flag, name] of Object.entries(SIDECAR_ENV)) {
    if (flag in values) continue;
    if (env[name] !== undefined) {
      values[flag] = env[name] as string;
      from[flag] = name;
    } else if (unresolved.includes(name)) {
      values[flag] = '(from valueFrom)';
      from[flag] = name;
    }
  }
  return { values, from };
}

/** Env of a container as name → literal value; names set through valueFrom are listed separately. */
export function envOf(c: Obj): { env: Record<string, string>; unresolved: string[] } {
  const env: Record<string, string> = {};
  const unresolved: string[] = [];
  for (const e of objs(c.env)) {
    const name = str(e.name);
    if (!name) continue;
    if (e.value !== undefined && e.value !== null) env[name] = String(e.value);
    else if (e.valueFrom !== undefined) unresolved.push(name);
    else env[name] = '';
  }
  return { env, unresolved };
}

function draingateSettings(app: ContainerInfo | null): DraingateSettings | null {
  if (!app) return null;
  const { env, unresolved } = envOf(app.spec);
  const names = Object.keys(env).filter((n) => n.startsWith('DRAINGATE_'));
  const readyz = get(app.spec, 'readinessProbe', 'httpGet', 'path') === '/readyz';
  const prestop = get(app.spec, 'lifecycle', 'preStop', 'httpGet', 'path') === '/prestop';
  if (names.length === 0 && !readyz && !prestop && !unresolved.some((n) => n.startsWith('DRAINGATE_'))) return null;
  const duration = (name: string, fallback: number): number => {
    const v = env[name];
    return v === undefined ? fallback : (tryCoreDuration(v) ?? fallback);
  };
  const thresholdRaw = env.DRAINGATE_LB_UNHEALTHY_THRESHOLD;
  const threshold =
    thresholdRaw !== undefined && /^\d+$/.test(thresholdRaw.trim()) ? Number(thresholdRaw) : CORE_DEFAULTS.lbUnhealthyThreshold;
  return {
    explicit: names.length > 0,
    env: Object.fromEntries(names.map((n) => [n, env[n] as string])),
    gracePeriod: duration('DRAINGATE_GRACE_PERIOD', CORE_DEFAULTS.gracePeriod),
    minDelay: duration('DRAINGATE_MIN_DELAY', CORE_DEFAULTS.minDelay),
    maxDelay: duration('DRAINGATE_MAX_DELAY', CORE_DEFAULTS.maxDelay),
    drainTimeout: duration('DRAINGATE_DRAIN_TIMEOUT', CORE_DEFAULTS.drainTimeout),
    hooksTimeout: duration('DRAINGATE_HOOKS_TIMEOUT', CORE_DEFAULTS.hooksTimeout),
    lbUnhealthyThreshold: threshold,
    sidecarUrl: env.DRAINGATE_SIDECAR_URL ?? null,
    unresolved: unresolved.filter((n) => n.startsWith('DRAINGATE_')),
  };
}

/** Does this container expose the Service's target port (a number or a port name)? */
function servesPort(c: ContainerInfo, targetPort: unknown): boolean {
  return objs(c.spec.ports).some((p) => p.containerPort === targetPort || (typeof targetPort === 'string' && p.name === targetPort));
}

const ALB = 'alb.ingress.kubernetes.io/';
const NLB = 'service.beta.kubernetes.io/';

function int(value: string | undefined, fallback: number): number {
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : fallback;
}

/** `deregistration_delay.timeout_seconds` from a target-group-attributes annotation (`k1=v1,k2=v2`). */
function deregistrationDelay(attributes: string | undefined): number | undefined {
  if (!attributes) return undefined;
  for (const pair of attributes.split(',')) {
    const [k, v] = pair.split('=').map((s) => s.trim());
    if (k === 'deregistration_delay.timeout_seconds' && v !== undefined && /^\d+$/.test(v)) return Number(v);
  }
  return undefined;
}

function isAlbIngress(ing: K8sObject): boolean {
  const cls = get(ing.raw, 'spec', 'ingressClassName') ?? ing.annotations['kubernetes.io/ingress.class'];
  return cls === 'alb' || Object.keys(ing.annotations).some((a) => a.startsWith(ALB));
}

function ingressBackends(ing: K8sObject): string[] {
  const names: string[] = [];
  const def = get(ing.raw, 'spec', 'defaultBackend', 'service', 'name');
  if (typeof def === 'string') names.push(def);
  for (const rule of objs(get(ing.raw, 'spec', 'rules'))) {
    for (const p of objs(get(rule, 'http', 'paths'))) {
      const n = get(p, 'backend', 'service', 'name');
      if (typeof n === 'string') names.push(n);
    }
  }
  return names;
}

function albFor(ing: K8sObject, svc: K8sObject): LoadBalancer {
  // Service annotations win over the Ingress's (AWS Load Balancer Controller, "Ingress annotations").
  const pick = (key: string): { value: string | undefined; field: string; origin: K8sObject } => {
    const full = ALB + key;
    if (svc.annotations[full] !== undefined) return { value: svc.annotations[full], field: `metadata.annotations["${full}"]`, origin: svc };
    if (ing.annotations[full] !== undefined) return { value: ing.annotations[full], field: `metadata.annotations["${full}"]`, origin: ing };
    return { value: undefined, field: `metadata.annotations["${full}"] (not set)`, origin: ing };
  };
  const tt = pick('target-type');
  const path = pick('healthcheck-path');
  const proto = pick('healthcheck-protocol');
  const interval = pick('healthcheck-interval-seconds');
  const unhealthy = pick('unhealthy-threshold-count');
  const healthy = pick('healthy-threshold-count');
  const attrs = pick('target-group-attributes');
  const grpc = pick('backend-protocol-version').value === 'GRPC';
  return {
    type: 'alb',
    object: ing,
    service: svc,
    targetType: tt.value === 'ip' ? 'ip' : 'instance',
    healthCheck: {
      protocol: (proto.value ?? 'HTTP').toUpperCase(),
      path: path.value ?? (grpc ? '/AWS.ALB/healthcheck' : '/'),
      intervalSeconds: int(interval.value, 15),
      unhealthyThreshold: int(unhealthy.value, 2),
      healthyThreshold: int(healthy.value, 2),
    },
    deregistrationDelaySeconds: deregistrationDelay(attrs.value) ?? 300,
    fields: {
      targetType: tt.field,
      path: path.field,
      protocol: proto.field,
      interval: interval.field,
      unhealthy: unhealthy.field,
      deregistration: attrs.field,
    },
    origins: {
      targetType: tt.origin,
      path: path.origin,
      protocol: proto.origin,
      interval: interval.origin,
      unhealthy: unhealthy.origin,
      deregistration: attrs.origin,
    },
  };
}

function isNlbService(svc: K8sObject): boolean {
  // The controller only provisions load balancers for Services of type LoadBalancer; on a ClusterIP/NodePort
  // Service these annotations (often rendered by a chart regardless of type) do nothing.
  if (get(svc.raw, 'spec', 'type') !== 'LoadBalancer') return false;
  const type = svc.annotations[`${NLB}aws-load-balancer-type`];
  return type === 'external' || type === 'nlb-ip' || get(svc.raw, 'spec', 'loadBalancerClass') === 'service.k8s.aws/nlb';
}

function nlbFor(svc: K8sObject): LoadBalancer {
  const pick = (key: string): { value: string | undefined; field: string } => {
    const full = `${NLB}aws-load-balancer-${key}`;
    const value = svc.annotations[full];
    return { value, field: `metadata.annotations["${full}"]${value === undefined ? ' (not set)' : ''}` };
  };
  const tt = pick('nlb-target-type');
  const type = svc.annotations[`${NLB}aws-load-balancer-type`];
  const proto = pick('healthcheck-protocol');
  const protocol = (proto.value ?? 'TCP').toUpperCase();
  const path = pick('healthcheck-path');
  const interval = pick('healthcheck-interval');
  const unhealthy = pick('healthcheck-unhealthy-threshold');
  const healthy = pick('healthcheck-healthy-threshold');
  const attrs = pick('target-group-attributes');
  return {
    type: 'nlb',
    object: svc,
    service: svc,
    targetType: type === 'nlb-ip' || tt.value === 'ip' ? 'ip' : 'instance',
    healthCheck: {
      protocol,
      path: protocol === 'TCP' ? null : (path.value ?? '/'),
      intervalSeconds: int(interval.value, 10),
      unhealthyThreshold: int(unhealthy.value, 3),
      healthyThreshold: int(healthy.value, 3),
    },
    deregistrationDelaySeconds: deregistrationDelay(attrs.value) ?? 300,
    fields: {
      targetType: tt.field,
      path: path.field,
      protocol: proto.field,
      interval: interval.field,
      unhealthy: unhealthy.field,
      deregistration: attrs.field,
    },
    origins: { targetType: svc, path: svc, protocol: svc, interval: svc, unhealthy: svc, deregistration: svc },
  };
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
  let sidecar: SidecarInfo | null = null;
  if (sidecarContainer) {
    const { values, from } = sidecarSettings(sidecarContainer);
    const listen = /:(\d+)$/.exec(values.listen ?? SIDECAR_DEFAULTS.listen);
    sidecar = {
      container: sidecarContainer,
      source: values.source ?? null,
      conditionType: values['condition-type'] ?? SIDECAR_GATE,
      listenPort: listen ? Number(listen[1]) : null,
      values,
      from,
      native: sidecarContainer.init && sidecarContainer.spec.restartPolicy === 'Always',
    };
  }
  const serviceNames = new Set(services.map((s) => s.name));
  const ingresses = all.filter(
    (o) => o.kind === 'Ingress' && sameNamespace(o.namespace, ns) && ingressBackends(o).some((n) => serviceNames.has(n)),
  );
  const loadBalancers: LoadBalancer[] = [];
  for (const ing of ingresses) {
    if (!isAlbIngress(ing)) continue;
    for (const svc of services) if (ingressBackends(ing).includes(svc.name)) loadBalancers.push(albFor(ing, svc));
  }
  for (const svc of services) if (isNlbService(svc)) loadBalancers.push(nlbFor(svc));
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
    all,
  };
}
