import { formatDuration } from '@draingate/core';
import {
  buildContext,
  type ContainerInfo,
  envOf,
  KNOWN_KINDS,
  NAMESPACE_LABEL,
  SIDECAR_DEFAULTS,
  SIDECAR_ENV,
  SIDECAR_GATE,
  SIDECAR_SOURCES,
  WORKLOAD_KINDS,
  type WorkloadContext,
} from './context.js';
import { CORE_DEFAULTS, coreConfigRefusal, tryCoreDuration } from './draingate-env.js';
import { get, type InputProblem, isObj, type K8sObject, objs, str } from './objects.js';
import { findRule, type Severity } from './rules.js';

/** A reference to an object of the input, with where it came from. */
export interface ObjectRef {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | null;
  readonly file: string;
  readonly line: number;
}

/** One problem found. */
export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  /** The Deployment/StatefulSet the finding belongs to, or `null` for input problems. */
  readonly workload: ObjectRef | null;
  /** The object to change. */
  readonly object: ObjectRef;
  /** The field in that object, e.g. `spec.template.spec.terminationGracePeriodSeconds`; `null` for the whole object. */
  readonly field: string | null;
  readonly message: string;
  readonly why: string;
  readonly fix: string;
}

export function ref(o: K8sObject): ObjectRef {
  return { kind: o.kind, name: o.name, namespace: o.namespace, file: o.source.file, line: o.source.line };
}

type Emit = (rule: string, object: K8sObject, field: string | null, message: string, severity?: Severity) => void;

function preStopSleepSeconds(c: ContainerInfo): { seconds: number; field: string; exec: string[] | null } | null {
  const pre = get(c.spec, 'lifecycle', 'preStop');
  if (!isObj(pre)) return null;
  const native = get(pre, 'sleep', 'seconds');
  if (typeof native === 'number') return { seconds: native, field: `${c.path}.lifecycle.preStop.sleep.seconds`, exec: null };
  const command = get(pre, 'exec', 'command');
  if (!Array.isArray(command)) return null;
  const words = command.map(String);
  const m = /(?:^|[\s;&|/])sleep\s+(\d+(?:\.\d+)?)/.exec(words.join(' '));
  if (!m) return null;
  return { seconds: Number(m[1]), field: `${c.path}.lifecycle.preStop.exec.command`, exec: words };
}

const SHELL_LESS = /distroless|cgr\.dev\/|chainguard|(^|\/)scratch(:|$)|-static(:|@|$)/i;

function effectiveMaxUnavailable(ctx: WorkloadContext): number {
  if (ctx.workload.kind === 'StatefulSet') {
    // A StatefulSet cannot surge: its rolling update deletes a pod before creating the replacement
    // (updateStrategy.rollingUpdate.maxUnavailable, default 1). OnDelete leaves deleting pods to people.
    const update = get(ctx.workload.raw, 'spec', 'updateStrategy');
    if (get(update, 'type') === 'OnDelete') return 0;
    const raw = get(update, 'rollingUpdate', 'maxUnavailable') ?? 1;
    if (typeof raw === 'number') return raw;
    const pct = /^(\d+)%$/.exec(String(raw));
    return pct ? Math.max(1, Math.ceil((ctx.replicas * Number(pct[1])) / 100)) : 1;
  }
  if (ctx.workload.kind !== 'Deployment') return 0;
  const strategy = get(ctx.workload.raw, 'spec', 'strategy');
  if (get(strategy, 'type') === 'Recreate') return ctx.replicas;
  const raw = get(strategy, 'rollingUpdate', 'maxUnavailable') ?? '25%';
  if (typeof raw === 'number') return raw;
  const pct = /^(\d+)%$/.exec(String(raw));
  return pct ? Math.floor((ctx.replicas * Number(pct[1])) / 100) : 0;
}

type Perm = readonly [group: string, resource: string, verb: string];

function grants(rules: unknown, [group, resource, verb]: Perm): boolean {
  return objs(rules).some((r) => {
    const has = (list: unknown, v: string): boolean => Array.isArray(list) && (list.includes(v) || list.includes('*'));
    return has(r.apiGroups, group) && has(r.resources, resource) && has(r.verbs, verb);
  });
}

function checkWorkload(ctx: WorkloadContext, emit: Emit): void {
  const POD = ctx.podPath;
  const w = ctx.workload;
  const app = ctx.app;
  const dg = ctx.draingate;
  const tgps = typeof ctx.pod.terminationGracePeriodSeconds === 'number' ? ctx.pod.terminationGracePeriodSeconds : 30;
  const tgpsField = `${POD}.terminationGracePeriodSeconds${typeof ctx.pod.terminationGracePeriodSeconds === 'number' ? '' : ' (not set: 30)'}`;
  const gates = objs(ctx.pod.readinessGates).map((g) => str(g.conditionType) ?? '');
  const ipMode = ctx.loadBalancers.filter((lb) => lb.targetType === 'ip');
  const nsLabelled = ctx.namespaceObject?.labels[NAMESPACE_LABEL] === 'enabled';
  const sleep = app ? preStopSleepSeconds(app) : null;
  const sidecarEvidence = ctx.sidecar !== null && dg?.sidecarUrl != null;

  // readiness-probe-missing
  if (app && !isObj(app.spec.readinessProbe)) {
    emit('readiness-probe-missing', w, `${app.path}.readinessProbe`, `container "${app.name}" has no readinessProbe.`);
  }
  const probePath = app ? get(app.spec, 'readinessProbe', 'httpGet', 'path') : undefined;

  if (ctx.services.length === 0 || ctx.loadBalancers.length === 0) {
    emit(
      'no-load-balancer',
      w,
      null,
      ctx.services.length === 0
        ? 'no Service in the input selects these pods: load-balancer rules were not checked.'
        : `no ALB Ingress or NLB Service (AWS Load Balancer Controller) routes to Service ${ctx.services.map((s) => s.name).join(', ')}: load-balancer rules were not checked.`,
    );
  }

  for (const lb of ctx.loadBalancers) {
    const what = lb.type === 'alb' ? `the ALB (Ingress ${lb.object.name})` : `the NLB (Service ${lb.object.name})`;
    const hc = lb.healthCheck;
    // probe-path-mismatch
    if (hc.path === null) {
      emit(
        'probe-path-mismatch',
        lb.origins.protocol,
        lb.fields.protocol,
        `${what} uses a TCP health check: it cannot see ${typeof probePath === 'string' ? probePath : 'the readiness path'} answer 503 while the pod drains.`,
      );
    } else if (typeof probePath === 'string' && probePath !== hc.path) {
      emit(
        'probe-path-mismatch',
        lb.origins.path,
        lb.fields.path,
        `${what} checks ${hc.path}${lb.fields.path.endsWith('(not set)') ? ' (the default)' : ''} but the readinessProbe checks ${probePath}.`,
      );
    }
    // instance-mode-without-gate
    if (lb.targetType === 'instance' && !(ctx.sidecar && ctx.sidecar.source === 'app')) {
      emit(
        'instance-mode-without-gate',
        lb.origins.targetType,
        lb.fields.targetType,
        `${what} uses instance targets${lb.fields.targetType.endsWith('(not set)') ? ' (the default)' : ''}: no controller readiness gate is possible and ${ctx.sidecar ? `the sidecar runs --source ${ctx.sidecar.source ?? '(not set)'}, not app` : 'no draingate sidecar runs with --source app'}.`,
      );
    }
    // deregistration-delay-too-short: only ip targets are deregistered when a pod goes (instance targets are
    // nodes, which stay registered while kube-proxy moves traffic off the pod).
    const window = dg ? dg.maxDelay + dg.drainTimeout : tgps * 1000;
    if (lb.targetType === 'ip' && lb.deregistrationDelaySeconds * 1000 < window) {
      emit(
        'deregistration-delay-too-short',
        lb.origins.deregistration,
        lb.fields.deregistration,
        `${what} has deregistration_delay.timeout_seconds=${lb.deregistrationDelaySeconds}, but the pod may serve ${formatDuration(window)} after deregistration begins (${dg ? `DRAINGATE_MAX_DELAY ${formatDuration(dg.maxDelay)} + DRAINGATE_DRAIN_TIMEOUT ${formatDuration(dg.drainTimeout)}` : `terminationGracePeriodSeconds ${tgps}`}).`,
      );
    }
    if (dg) {
      // lb-detection-slow
      const detection = hc.intervalSeconds * hc.unhealthyThreshold * 1000 + CORE_DEFAULTS.lbMargin;
      if (!sidecarEvidence && (hc.path === null || detection >= dg.maxDelay)) {
        emit(
          'lb-detection-slow',
          lb.origins.interval,
          hc.path === null ? lb.fields.protocol : lb.fields.interval,
          hc.path === null
            ? `${what} uses a TCP health check, which draingate cannot observe, and there is no sidecar: every shutdown drains for DRAINGATE_MAX_DELAY (${formatDuration(dg.maxDelay)}).`
            : `${what} needs ${hc.intervalSeconds} s × ${hc.unhealthyThreshold} + ${formatDuration(CORE_DEFAULTS.lbMargin)} (core's LB margin) = ${formatDuration(detection)} to mark the target unhealthy, not less than DRAINGATE_MAX_DELAY ${formatDuration(dg.maxDelay)}, and there is no sidecar.`,
        );
      }
      // unhealthy-threshold-mismatch
      if (hc.path !== null && hc.unhealthyThreshold !== dg.lbUnhealthyThreshold && app) {
        const lower = dg.lbUnhealthyThreshold < hc.unhealthyThreshold;
        emit(
          'unhealthy-threshold-mismatch',
          w,
          `${app.path}.env[name=DRAINGATE_LB_UNHEALTHY_THRESHOLD]${dg.env.DRAINGATE_LB_UNHEALTHY_THRESHOLD === undefined ? ` (not set: ${CORE_DEFAULTS.lbUnhealthyThreshold})` : ''}`,
          `draingate counts ${dg.lbUnhealthyThreshold} failing health checks but ${what} needs ${hc.unhealthyThreshold} (${lb.fields.unhealthy})${lower ? ': draining ends while the LB still routes here.' : ': that evidence never completes.'}`,
          lower ? 'error' : 'warning',
        );
      }
    }
  }

  // namespace-label-missing
  if (ipMode.length > 0 && !nsLabelled) {
    if (ctx.namespaceObject) {
      emit(
        'namespace-label-missing',
        ctx.namespaceObject,
        `metadata.labels["${NAMESPACE_LABEL}"]`,
        `Namespace ${ctx.namespaceObject.name} is not labelled ${NAMESPACE_LABEL}: enabled, but ${ipMode[0]?.type === 'alb' ? 'the ALB' : 'the NLB'} uses ip targets.`,
      );
    } else {
      emit(
        'namespace-label-missing',
        w,
        null,
        `ip targets are used and the Namespace ${ctx.namespace ?? '(unspecified)'} is not in the input: make sure it is labelled ${NAMESPACE_LABEL}: enabled before the pods are created.`,
        'info',
      );
    }
  }

  // readiness-gates-missing / readiness-gate-without-sidecar
  const injected = ipMode.length > 0 && nsLabelled;
  if (ctx.sidecar && !gates.includes(ctx.sidecar.conditionType)) {
    emit(
      'readiness-gates-missing',
      w,
      `${POD}.readinessGates`,
      `the draingate sidecar writes ${ctx.sidecar.conditionType}, but the pod does not declare it as a readiness gate${injected ? " (only the controller's injected gate applies)" : ''}.`,
    );
  } else if (!ctx.sidecar && gates.length === 0 && !injected && ctx.loadBalancers.length > 0) {
    emit(
      'readiness-gates-missing',
      w,
      `${POD}.readinessGates`,
      'no readiness gate is declared and none will be injected (no ip targets in a labelled namespace).',
    );
  }
  if (!ctx.sidecar && gates.includes(SIDECAR_GATE)) {
    emit(
      'readiness-gate-without-sidecar',
      w,
      `${POD}.readinessGates`,
      `${SIDECAR_GATE} is declared but no draingate sidecar runs in the pod.`,
    );
  }

  // sidecar-config-invalid
  if (ctx.sidecar) checkSidecarConfig(ctx, emit);

  if (dg && app) {
    // budget-exceeds-grace-period
    const sleepMs = sleep ? sleep.seconds * 1000 : 0;
    const budget = sleepMs + dg.maxDelay + dg.drainTimeout + dg.hooksTimeout;
    if (budget >= tgps * 1000) {
      const parts = [
        ...(sleep ? [`preStop sleep ${formatDuration(sleepMs)}`] : []),
        `DRAINGATE_MAX_DELAY ${formatDuration(dg.maxDelay)}`,
        `DRAINGATE_DRAIN_TIMEOUT ${formatDuration(dg.drainTimeout)}`,
        `DRAINGATE_HOOKS_TIMEOUT ${formatDuration(dg.hooksTimeout)}`,
      ];
      const envGrace = dg.env.DRAINGATE_GRACE_PERIOD;
      const note =
        dg.gracePeriod !== tgps * 1000
          ? ` DRAINGATE_GRACE_PERIOD is ${envGrace ?? `${formatDuration(CORE_DEFAULTS.gracePeriod)} (default)`}, not ${tgps}s: core checks its budget against that, not the real deadline.`
          : '';
      emit(
        'budget-exceeds-grace-period',
        w,
        tgpsField,
        `${parts.join(' + ')} = ${formatDuration(budget)}, not less than terminationGracePeriodSeconds ${tgps}s: SIGKILL comes first.${note}`,
      );
    }
    // draingate-config-invalid: core's own resolveConfig on the container's env, so doctor cannot disagree with it.
    // Like core at start-up, this stops at the first problem.
    const refusal = coreConfigRefusal(envOf(app.spec).env);
    if (refusal) {
      const { variable } = refusal;
      const unset = variable !== null && (dg.env[variable] ?? '') === '';
      const field = variable === null ? `${app.path}.env` : `${app.path}.env[name=${variable}]${unset ? ' (not set)' : ''}`;
      emit('draingate-config-invalid', w, field, `core refuses to start (DraingateConfigError): ${refusal.error.message}`);
    }
  }

  // prestop-sleep-too-long / prestop-sleep-no-shell
  if (app && sleep) {
    const nlb = ctx.loadBalancers.some((lb) => lb.type === 'nlb');
    const needed = dg ? 0 : nlb ? 120 : 20;
    if (sleep.seconds > needed || sleep.seconds >= tgps) {
      emit(
        'prestop-sleep-too-long',
        w,
        sleep.field,
        dg
          ? `preStop sleeps ${sleep.seconds} s before SIGTERM although the app drains on evidence (draingate): the sleep only delays every shutdown.`
          : `preStop sleeps ${sleep.seconds} s; ${sleep.seconds >= tgps ? `that is not less than terminationGracePeriodSeconds ${tgps}` : `the ${nlb ? 'NLB' : 'ALB'} needs about ${needed} s to deregister`}.`,
      );
    }
    const image = str(app.spec.image) ?? '';
    if (sleep.exec && SHELL_LESS.test(image)) {
      emit(
        'prestop-sleep-no-shell',
        w,
        sleep.field,
        `preStop runs ${JSON.stringify(sleep.exec.join(' '))} but image ${image} has no shell or sleep binary.`,
      );
    }
  }

  // pdb-missing
  const maxUnavailable = effectiveMaxUnavailable(ctx);
  const replicated = w.kind === 'Deployment' || w.kind === 'StatefulSet';
  if (replicated && ctx.pdbs.length === 0 && (ctx.replicas <= 1 || maxUnavailable > 0)) {
    emit(
      'pdb-missing',
      w,
      ctx.replicas <= 1
        ? 'spec.replicas'
        : w.kind === 'StatefulSet'
          ? 'spec.updateStrategy.rollingUpdate.maxUnavailable'
          : 'spec.strategy.rollingUpdate.maxUnavailable',
      `no PodDisruptionBudget selects these pods, and ${ctx.replicas <= 1 ? `replicas is ${ctx.replicas}` : `the rollout may take ${maxUnavailable} pod(s) out at once (maxUnavailable)`}.`,
    );
  }

  // sidecar-not-native / sidecar-rbac-missing
  const sc = ctx.sidecar;
  if (sc && !sc.native) {
    emit(
      'sidecar-not-native',
      w,
      sc.container.init ? `${sc.container.path}.restartPolicy` : sc.container.path,
      sc.container.init
        ? `the sidecar is an init container without restartPolicy: Always: it never completes, so the app never starts.`
        : `the sidecar is a regular container: it gets SIGTERM together with the app and may stop before draining ends.`,
      sc.container.init ? 'error' : 'warning',
    );
  }
  if (sc) {
    const sa = str(ctx.pod.serviceAccountName) ?? str(ctx.pod.serviceAccount) ?? 'default';
    if (ctx.pod.automountServiceAccountToken === false) {
      emit(
        'sidecar-rbac-missing',
        w,
        `${POD}.automountServiceAccountToken`,
        'automountServiceAccountToken is false: the sidecar has no credentials for the Kubernetes API.',
      );
    }
    const ns = ctx.namespace;
    const rules: unknown[] = [];
    const clusterRules: unknown[] = [];
    for (const b of ctx.all) {
      if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
      if (b.kind === 'RoleBinding' && !(b.namespace === null || ns === null || b.namespace === ns)) continue;
      const bound = objs(b.raw.subjects).some(
        (s) => s.kind === 'ServiceAccount' && s.name === sa && (s.namespace === undefined || ns === null || s.namespace === ns),
      );
      if (!bound) continue;
      const roleKind = get(b.raw, 'roleRef', 'kind');
      const roleName = get(b.raw, 'roleRef', 'name');
      const role = ctx.all.find(
        (r) =>
          r.kind === roleKind &&
          r.name === roleName &&
          (r.kind === 'ClusterRole' || r.namespace === null || b.namespace === null || r.namespace === b.namespace),
      );
      if (!role) continue;
      rules.push(...objs(role.raw.rules));
      // Cluster-scoped resources (nodes) are only granted through a ClusterRoleBinding.
      if (b.kind === 'ClusterRoleBinding') clusterRules.push(...objs(role.raw.rules));
    }
    const needed: Perm[] = [
      ['', 'pods', 'get'],
      ['', 'pods', 'watch'],
      ['', 'pods/status', 'patch'],
      ['', 'events', 'create'],
    ];
    const v = sc.values;
    if (sc.source === 'aws' && v['target-group-arn'] === undefined) needed.push(['elbv2.k8s.aws', 'targetgroupbindings', 'list']);
    if (sc.source === 'aws' && v['target-port'] === undefined) needed.push(['', 'services', 'get']);
    const clusterNeeded: Perm[] =
      sc.source === 'aws' && v['target-type'] === 'instance' && v['instance-id'] === undefined ? [['', 'nodes', 'get']] : [];
    const missing = [...needed.filter((p) => !grants(rules, p)), ...clusterNeeded.filter((p) => !grants(clusterRules, p))];
    if (missing.length > 0) {
      emit(
        'sidecar-rbac-missing',
        w,
        `${POD}.serviceAccountName${ctx.pod.serviceAccountName === undefined ? ' (not set: default)' : ''}`,
        `ServiceAccount ${sa} is not granted (by a Role/ClusterRole bound in the input): ${missing.map(([g, r, v]) => `${v} ${g ? `${r}.${g}` : r}`).join(', ')}.`,
      );
    }
  }
}

/** The result of checking one set of objects. */
export interface Diagnosis {
  readonly workloads: readonly ObjectRef[];
  readonly findings: readonly Finding[];
}

/** Checks a set of objects that belong together (plus the problems met while reading them). */
export function diagnoseObjects(objects: readonly K8sObject[], problems: readonly InputProblem[] = []): Diagnosis {
  const findings: Finding[] = [];
  const make = (
    rule: string,
    workload: ObjectRef | null,
    object: ObjectRef,
    field: string | null,
    message: string,
    severity?: Severity,
  ): Finding => {
    const r = findRule(rule);
    if (!r) throw new Error(`doctor: unknown rule ${rule}`);
    return { rule, severity: severity ?? r.severity, workload, object, field, message, why: r.why, fix: r.fix };
  };
  for (const p of problems) {
    findings.push(
      make(
        'yaml-invalid',
        null,
        { kind: '(document)', name: '-', namespace: null, file: p.source.file, line: p.source.line },
        null,
        p.message,
      ),
    );
  }
  for (const o of objects) {
    if (!KNOWN_KINDS.has(o.kind)) {
      findings.push(make('kind-ignored', null, ref(o), null, `${o.apiVersion} ${o.kind} ${o.name} is not checked by doctor.`));
    }
  }
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
  if (workloads.length === 0) {
    const where = objects[0]?.source.file ?? problems[0]?.source.file ?? '-';
    findings.push(
      make(
        'no-workload',
        null,
        { kind: '(input)', name: '-', namespace: null, file: where, line: 1 },
        null,
        objects.length === 0
          ? 'the input holds no Kubernetes objects.'
          : 'the input holds no Deployment, StatefulSet, DaemonSet or Pod: nothing to check.',
      ),
    );
  }
  for (const w of workloads) {
    const ctx = buildContext(w, objects);
    const wref = ref(w);
    checkWorkload(ctx, (rule, object, field, message, severity) => findings.push(make(rule, wref, ref(object), field, message, severity)));
  }
  return { workloads: workloads.map(ref), findings };
}

/** `a, b or c`. */
function orList(values: readonly string[]): string {
  return values.length <= 1 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** `--flag / ENV`, as the sidecar names a setting. */
const label = (flag: string): string => `--${flag} / ${SIDECAR_ENV[flag]}`;

const LOCAL_URL = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:(\d+))?(\/|$)/;

function checkSidecarConfig(ctx: WorkloadContext, emit: Emit): void {
  const sc = ctx.sidecar;
  if (!sc) return;
  const w = ctx.workload;
  const v = sc.values;
  const at = (flag: string): string =>
    sc.from[flag]?.startsWith('--') ? `${sc.container.path}.args` : `${sc.container.path}.env[name=${SIDECAR_ENV[flag] ?? flag}]`;
  const bad = (flag: string, message: string, severity?: Severity): void => emit('sidecar-config-invalid', w, at(flag), message, severity);
  const sources = orList(SIDECAR_SOURCES);
  if (sc.source === null) {
    bad(
      'source',
      `the sidecar has no ${label('source')} (${sources}): it refuses to start, and as a native sidecar it holds the pod back.`,
    );
  } else if (!SIDECAR_SOURCES.includes(sc.source)) {
    bad('source', `${label('source')} is ${JSON.stringify(sc.source)}: the sidecar accepts ${sources}.`);
  }
  for (const flag of ['pod-name', 'pod-namespace', 'pod-uid']) {
    if (v[flag] === undefined)
      bad(flag, `${SIDECAR_ENV[flag]} is not set: the sidecar needs it from the downward API (fieldRef) and refuses to start.`);
  }
  if (isObj(sc.container.spec.readinessProbe)) {
    emit(
      'sidecar-config-invalid',
      w,
      `${sc.container.path}.readinessProbe`,
      "the sidecar has a readinessProbe: a native sidecar counts towards the pod's readiness, so a failing sidecar probe takes the pod out of the load balancer; the sidecar needs none (its gate is the readiness signal).",
      'warning',
    );
  }
  const lbs = ctx.loadBalancers;
  if (sc.source === 'aws') {
    if (v.region === undefined) {
      bad(
        'region',
        `${SIDECAR_ENV.region} is not set: the aws source needs the region of the target groups (unless your credentials webhook injects it).`,
        'warning',
      );
    }
    const targetType = v['target-type'] ?? SIDECAR_DEFAULTS.targetType;
    if (targetType === 'ip' && v['pod-ip'] === undefined) {
      bad(
        'pod-ip',
        `${SIDECAR_ENV['pod-ip']} is not set: the aws source in ip mode looks for podIP:port (fieldRef status.podIP) and refuses to start.`,
      );
    }
    for (const lb of lbs) {
      if (lb.targetType !== targetType) {
        bad(
          'target-type',
          `the sidecar looks for ${targetType} targets (${label('target-type')}${v['target-type'] === undefined ? `, default ${SIDECAR_DEFAULTS.targetType}` : ''}) but ${lb.type === 'alb' ? `Ingress ${lb.object.name}` : `Service ${lb.object.name}`} registers ${lb.targetType} targets: the gate never turns True.`,
        );
      }
    }
  }
  if (sc.source === 'app') {
    const url = v['app-status-url'];
    const mgmt = ctx.draingate?.env.DRAINGATE_MANAGEMENT_PORT;
    if (url === undefined) {
      bad(
        'app-status-url',
        `the app source needs ${label('app-status-url')} (core's management /status, e.g. http://127.0.0.1:${mgmt ?? '9000'}/status) and refuses to start without it.`,
      );
    } else if (url !== '(from valueFrom)') {
      const m = LOCAL_URL.exec(url);
      if (!m) bad('app-status-url', `--app-status-url ${JSON.stringify(url)} must be an http:// URL on localhost.`);
      else if (mgmt !== undefined && (m[3] ?? '80') !== mgmt) {
        bad('app-status-url', `--app-status-url ${url} does not use the app's management port DRAINGATE_MANAGEMENT_PORT=${mgmt}.`);
      }
    }
    const given = v['healthy-threshold'];
    const threshold = /^\d+$/.test(given ?? '') ? Number(given) : SIDECAR_DEFAULTS.healthyThreshold;
    for (const lb of lbs) {
      if (lb.healthCheck.healthyThreshold === threshold) continue;
      const lower = threshold < lb.healthCheck.healthyThreshold;
      bad(
        'healthy-threshold',
        `the sidecar counts ${threshold} passing health checks (--healthy-threshold${given === undefined ? `, default ${SIDECAR_DEFAULTS.healthyThreshold}` : ''}) but the ${lb.type.toUpperCase()} needs ${lb.healthCheck.healthyThreshold}: ${lower ? 'the gate turns True before the LB routes to the pod.' : 'the gate turns True later than needed.'}`,
        lower ? 'error' : 'warning',
      );
    }
  }
  const listen = v.listen ?? `${SIDECAR_DEFAULTS.listen} (default)`;
  // preStop on the sidecar's /v1/prestop: kubelet calls the pod IP, and SIGTERM comes only when the sidecar answers.
  const pre = ctx.app ? sidecarPreStop(ctx) : null;
  if (pre) {
    const host = (v.listen ?? SIDECAR_DEFAULTS.listen).replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
      emit(
        'sidecar-config-invalid',
        w,
        pre.field,
        `preStop calls the sidecar's port ${pre.port}, but the sidecar listens on ${listen}: kubelet sends preStop hooks to the pod IP, so the hook fails and SIGTERM comes at once. Use --listen=0.0.0.0:${pre.port}.`,
      );
    }
    const dg = ctx.draingate;
    const budgetRaw = v['app-drain-budget'];
    const budget = budgetRaw === undefined ? SIDECAR_DEFAULTS.appDrainBudget : tryCoreDuration(budgetRaw);
    if (dg && budget !== undefined && budget < dg.minDelay + dg.drainTimeout + dg.hooksTimeout) {
      emit(
        'budget-exceeds-grace-period',
        w,
        at('app-drain-budget'),
        `the sidecar answers preStop by the deletion deadline minus --app-drain-budget ${formatDuration(budget)}${budgetRaw === undefined ? ' (default)' : ''}, but after SIGTERM the app needs up to DRAINGATE_MIN_DELAY ${formatDuration(dg.minDelay)} + DRAINGATE_DRAIN_TIMEOUT ${formatDuration(dg.drainTimeout)} + DRAINGATE_HOOKS_TIMEOUT ${formatDuration(dg.hooksTimeout)} = ${formatDuration(dg.minDelay + dg.drainTimeout + dg.hooksTimeout)}.`,
      );
    }
  }
  const url = ctx.draingate?.sidecarUrl;
  if (url) {
    const m = LOCAL_URL.exec(url);
    if (!m || (m[3] !== undefined ? Number(m[3]) : 80) !== sc.listenPort) {
      emit(
        'sidecar-config-invalid',
        w,
        `${ctx.app?.path ?? ctx.podPath}.env[name=DRAINGATE_SIDECAR_URL]`,
        `DRAINGATE_SIDECAR_URL is ${url}, but the sidecar listens on ${listen}: core never hears from it.`,
      );
    }
  }
}

/** The app's preStop, when it is an httpGet to the sidecar's port (`/v1/prestop`). */
function sidecarPreStop(ctx: WorkloadContext): { port: number; field: string } | null {
  const app = ctx.app;
  const sc = ctx.sidecar;
  if (!app || !sc) return null;
  const port = get(app.spec, 'lifecycle', 'preStop', 'httpGet', 'port');
  const named = typeof port === 'string' ? objs(app.spec.ports).find((p) => p.name === port)?.containerPort : undefined;
  const number = typeof port === 'number' ? port : typeof named === 'number' ? named : /^\d+$/.test(String(port)) ? Number(port) : null;
  if (number === null || number !== sc.listenPort) return null;
  return { port: number, field: `${app.path}.lifecycle.preStop.httpGet` };
}
