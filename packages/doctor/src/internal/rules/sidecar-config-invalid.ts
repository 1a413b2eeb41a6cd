import { sidecarPreStop } from '../context.js';
import type { Severity } from '../finding.js';
import { isObj } from '../objects.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { orList, SIDECAR_DEFAULTS, SIDECAR_ENV, SIDECAR_SOURCES, settingField } from '../sidecar.js';
import { NEW_POD, OLD_POD } from '../timelines.js';

const LOCAL_URL = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:(\d+))?(\/|$)/;

/** `--flag / ENV`, as the sidecar names a setting. */
const label = (flag: string): string => `--${flag} / ${SIDECAR_ENV[flag]}`;

export const sidecarConfigInvalid: WorkloadRule = workloadRule({
  id: 'sidecar-config-invalid',
  severity: 'error',
  title: "the draingate sidecar's settings do not fit the pod or the load balancer",
  why: "The sidecar refuses to start without --source and the downward-API pod identity, the aws source needs the region and the pod IP (ip mode), the app source needs core's /status URL; a sidecar port other than the one in DRAINGATE_SIDECAR_URL means core never hears from it; a preStop on the sidecar's port fails when the sidecar listens on loopback only (kubelet calls the pod IP); a target type other than the LB's means the sidecar looks for a target that does not exist (the gate never turns True). A healthy threshold below the LB's turns the gate True before the LB routes (error); above it, later than needed (warning). A readinessProbe on the sidecar can take the whole pod out of the LB (warning).",
  fix: `Give the sidecar --source ${SIDECAR_SOURCES.join('|')}, POD_NAME/POD_NAMESPACE/POD_UID/POD_IP from the downward API, AWS_REGION (aws) or --app-status-url http://127.0.0.1:<management port>/status (app), --healthy-threshold = the LB's healthy threshold (app), --target-type = the LB's target type (aws), and point DRAINGATE_SIDECAR_URL at its --listen port; see examples/k8s/sidecar/sidecar.yaml.`,
  reasoning:
    'The sidecar validates its configuration at start and exits on an error (packages/sidecar: `draingate-sidecar --help`). As a native sidecar that crash-loops, it holds the whole pod back.',
  timeline: `${NEW_POD}\n\n${OLD_POD}`,
  check(ctx, report) {
    const sc = ctx.sidecar;
    if (!sc) return;
    const w = ctx.workload;
    const v = sc.values;
    const bad = (flag: string, message: string, severity?: Severity): void => report(w, settingField(sc, flag), message, severity);
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
      report(
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
    const pre = sidecarPreStop(ctx);
    if (pre) {
      const host = (v.listen ?? SIDECAR_DEFAULTS.listen).replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
        report(
          w,
          pre.field,
          `preStop calls the sidecar's port ${pre.port}, but the sidecar listens on ${listen}: kubelet sends preStop hooks to the pod IP, so the hook fails and SIGTERM comes at once. Use --listen=0.0.0.0:${pre.port}.`,
        );
      }
    }
    const url = ctx.draingate?.sidecarUrl;
    if (url) {
      const m = LOCAL_URL.exec(url);
      if (!m || (m[3] !== undefined ? Number(m[3]) : 80) !== sc.listenPort) {
        report(
          w,
          `${ctx.app?.path ?? ctx.podPath}.env[name=DRAINGATE_SIDECAR_URL]`,
          `DRAINGATE_SIDECAR_URL is ${url}, but the sidecar listens on ${listen}: core never hears from it.`,
        );
      }
    }
  },
});
