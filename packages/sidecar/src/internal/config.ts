import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { DraingateConfigError, type LbType } from '@draingate/core';
import { formatDuration, parseDuration, SIDECAR_SETTINGS, type SidecarSettingSpec } from '@draingate/core/internal';
import { argvError, SidecarConfigError } from './errors.js';

/** Where target health comes from (see README "Sources"). */
export type SourceKind = 'aws' | 'app' | 'albc';
export type TargetType = 'ip' | 'instance';

/** The resolved configuration: every duration in milliseconds. */
export interface SidecarConfig {
  source: SourceKind;
  conditionType: string;
  listenHost: string;
  listenPort: number;
  /** Path of a kubeconfig file; `null`: in-cluster service account. */
  kubeconfig: string | null;
  pod: { name: string; namespace: string; uid: string; ip: string | null; nodeName: string | null };
  pollIntervalMs: number;
  /** `--lb-type`: `null` for `auto` (from the target groups' protocol). */
  lbType: LbType | null;
  /** `--propagation-bound`: `null` for the load balancer type's (core's `LB_TYPES`). */
  propagationBoundMs: number | null;
  fallbackDelayMs: number;
  appDrainBudgetMs: number;
  /** `null`: never fail open (the default). */
  failOpenAfterMs: number | null;
  aws: {
    region: string | null;
    endpoint: string | null;
    targetGroupArns: string[];
    targetType: TargetType;
    /** ip mode: the container port; instance mode: the NodePort. `null`: from the TargetGroupBinding's Service. */
    targetPort: number | null;
    instanceId: string | null;
  };
  app: { statusUrl: string | null; healthyThreshold: number };
}

/** One setting: its flag, its environment variable, its default (core's {@link SidecarSettingSpec}). */
export type SettingSpec = SidecarSettingSpec;

/**
 * Every setting the sidecar reads; the README's table and `--help` are generated from this list. The rows are pure
 * data that core hosts (`SIDECAR_SETTINGS`, packages/core/src/internal/sidecar-settings.ts) so that doctor reads the
 * same flags, environment variables and defaults without depending on this package; parsing stays here.
 */
export const SETTINGS: readonly SettingSpec[] = SIDECAR_SETTINGS;

function label(s: SettingSpec): string {
  return `--${s.flag} / ${s.env}`;
}

/** The `--help` text. */
export function usage(): string {
  const rows = SETTINGS.map(
    (s) => `  --${s.flag.padEnd(20)} ${s.env.padEnd(30)} ${s.doc}${s.default !== null ? ` (default ${s.default})` : ''}`,
  );
  return `usage: draingate-sidecar --source aws|app|albc [options]\n\nflag / environment variable (flags win):\n${rows.join('\n')}\n`;
}

/**
 * Core's duration syntax and wording (`"500ms"`, `"10s"`, `"2m"`; bare numbers rejected), so a DRAINGATE_* duration
 * means the same to the app and to its sidecar. Core's error becomes the sidecar's own: the CLI exits 2 on it.
 */
function parseSettingDuration(value: string, setting: string, source: string): number {
  try {
    return parseDuration(value, setting, source);
  } catch (e) {
    if (e instanceof DraingateConfigError) throw new SidecarConfigError(setting, e.message.replace(/^draingate: /, ''));
    throw e;
  }
}

const CONDITION_TYPE_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ARN_RE = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[^/]+\/[0-9a-f]+$/;

/** Settings that no longer exist, with what replaced them: refused by name rather than as unknown. */
const REMOVED: Readonly<Record<string, string>> = {
  DRAINGATE_PROPAGATION_MARGIN:
    "the wait after every target is draining is now --propagation-bound / DRAINGATE_PROPAGATION_BOUND, counted from the moment the API first showed it draining, and by default the load balancer type's bound (ALB 30s, NLB 150s; see --lb-type).",
};

/**
 * Resolves the configuration from command-line arguments and environment variables (flags win). Throws a
 * {@link SidecarConfigError} naming the first invalid or missing setting.
 */
export function resolveConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): SidecarConfig {
  for (const [setting, replacedBy] of Object.entries(REMOVED)) {
    const flag = `--${setting
      .toLowerCase()
      .replace(/^draingate_/, '')
      .replace(/_/g, '-')}`;
    if (argv.some((a) => a === flag || a.startsWith(`${flag}=`)) || (env[setting] ?? '') !== '') {
      throw new SidecarConfigError(setting, `${flag} / ${setting} was removed: ${replacedBy}`);
    }
  }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const s of SETTINGS) options[s.flag] = s.kind === 'list' ? { type: 'string', multiple: true } : { type: 'string' };
  let parsed: Record<string, string | string[] | boolean | undefined>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as typeof parsed;
  } catch (e) {
    throw argvError(e as NodeJS.ErrnoException, argv);
  }

  const raw = (flag: string): { value: string | string[]; from: string } | null => {
    const s = SETTINGS.find((x) => x.flag === flag) as SettingSpec;
    const v = parsed[flag];
    if (v !== undefined && typeof v !== 'boolean') return { value: v, from: `--${flag}` };
    const e = env[s.env];
    if (e !== undefined && e !== '')
      return {
        value:
          s.kind === 'list'
            ? e
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean)
            : e,
        from: s.env,
      };
    return null;
  };
  const str = (flag: string): string | null => {
    const r = raw(flag);
    if (r) return Array.isArray(r.value) ? (r.value[0] ?? null) : r.value;
    return SETTINGS.find((x) => x.flag === flag)?.default ?? null;
  };
  const required = (flag: string, why: string): string => {
    const v = str(flag);
    if (v === null || v === '') {
      const s = SETTINGS.find((x) => x.flag === flag) as SettingSpec;
      throw new SidecarConfigError(flag, `${label(s)} is not set: ${why}.`);
    }
    return v;
  };
  const duration = (flag: string): number => {
    const r = raw(flag);
    const s = SETTINGS.find((x) => x.flag === flag) as SettingSpec;
    return parseSettingDuration(r ? String(r.value) : (s.default as string), flag, r ? r.from : `the default of ${label(s)}`);
  };
  const oneOf = <T extends string>(flag: string): T => {
    const s = SETTINGS.find((x) => x.flag === flag) as SettingSpec;
    const v = str(flag);
    if (v === null) throw new SidecarConfigError(flag, `${label(s)} is not set: choose one of ${s.values?.join(', ')}.`);
    if (!s.values?.includes(v))
      throw new SidecarConfigError(flag, `${label(s)} is ${JSON.stringify(v)}: choose one of ${s.values?.join(', ')}.`);
    return v as T;
  };
  const integer = (flag: string, min: number, max: number): number | null => {
    const s = SETTINGS.find((x) => x.flag === flag) as SettingSpec;
    const v = str(flag);
    if (v === null) return null;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) {
      throw new SidecarConfigError(flag, `${label(s)} is ${JSON.stringify(v)}: use a whole number from ${min} to ${max}.`);
    }
    return n;
  };

  const source = oneOf<SourceKind>('source');
  const conditionType = str('condition-type') as string;
  if (!CONDITION_TYPE_RE.test(conditionType)) {
    throw new SidecarConfigError(
      'condition-type',
      `--condition-type / DRAINGATE_CONDITION_TYPE is ${JSON.stringify(conditionType)}: use a domain-prefixed name such as "draingate.io/lb-ready" (the pod's readinessGates[].conditionType).`,
    );
  }

  const listen = str('listen') as string;
  const lm = /^(.+):(\d+)$/.exec(listen);
  const listenHost = lm?.[1]?.replace(/^\[(.*)\]$/, '$1') ?? '';
  const listenPort = Number(lm?.[2]);
  if (!lm || isIP(listenHost) === 0 || !(listenPort >= 0 && listenPort <= 65535)) {
    throw new SidecarConfigError(
      'listen',
      `--listen / DRAINGATE_LISTEN is ${JSON.stringify(listen)}: use an IP and a port such as "127.0.0.1:9901".`,
    );
  }

  const kubeconfig = str('kubeconfig');
  if (kubeconfig !== null && !existsSync(kubeconfig)) {
    throw new SidecarConfigError('kubeconfig', `--kubeconfig / KUBECONFIG is ${JSON.stringify(kubeconfig)}: no such file.`);
  }
  if (kubeconfig === null && !env.KUBERNETES_SERVICE_HOST) {
    throw new SidecarConfigError(
      'kubeconfig',
      '--kubeconfig / KUBECONFIG is not set and KUBERNETES_SERVICE_HOST is not either: run in a pod (in-cluster service account) or pass a kubeconfig file.',
    );
  }

  const downward = 'set it from the downward API (fieldRef), see deploy/pod-example.yaml';
  const pod = {
    name: required('pod-name', downward),
    namespace: required('pod-namespace', downward),
    uid: required('pod-uid', downward),
    ip: str('pod-ip'),
    nodeName: str('node-name'),
  };
  if (pod.ip !== null && isIP(pod.ip) === 0)
    throw new SidecarConfigError('pod-ip', `--pod-ip / POD_IP is ${JSON.stringify(pod.ip)}: not an IP address.`);

  const pollIntervalMs = duration('poll-interval');
  if (pollIntervalMs < 100)
    throw new SidecarConfigError('poll-interval', '--poll-interval / DRAINGATE_POLL_INTERVAL is below 100ms: that would flood the API.');
  const lbTypeSetting = oneOf<'auto' | LbType>('lb-type');
  const boundRaw = raw('propagation-bound');
  const propagationBoundMs = boundRaw ? parseSettingDuration(String(boundRaw.value), 'propagation-bound', boundRaw.from) : null;
  const failOpenRaw = raw('fail-open-after');
  const failOpenAfterMs = failOpenRaw ? parseSettingDuration(String(failOpenRaw.value), 'fail-open-after', failOpenRaw.from) : null;
  if (failOpenAfterMs === 0) {
    throw new SidecarConfigError(
      'fail-open-after',
      `${failOpenRaw?.from} is 0s: that sets the gate True at once, without evidence; unset it to keep fail-open off (the default), or use a duration such as 10m.`,
    );
  }

  const targetGroupArns = (() => {
    const r = raw('target-group-arn');
    return r ? (Array.isArray(r.value) ? r.value : [r.value]) : [];
  })();
  for (const arn of targetGroupArns) {
    if (!ARN_RE.test(arn)) {
      throw new SidecarConfigError(
        'target-group-arn',
        `--target-group-arn / DRAINGATE_TARGET_GROUP_ARNS has ${JSON.stringify(arn)}: not a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>).`,
      );
    }
  }
  const aws = {
    region: str('region') ?? env.AWS_DEFAULT_REGION ?? null,
    endpoint: str('aws-endpoint'),
    targetGroupArns,
    targetType: oneOf<TargetType>('target-type'),
    targetPort: integer('target-port', 1, 65535),
    instanceId: str('instance-id'),
  };
  if (aws.endpoint !== null) {
    try {
      new URL(aws.endpoint);
    } catch {
      throw new SidecarConfigError(
        'aws-endpoint',
        `--aws-endpoint / DRAINGATE_AWS_ENDPOINT is ${JSON.stringify(aws.endpoint)}: not a URL.`,
      );
    }
  }
  if (source === 'aws') {
    if (aws.region === null)
      throw new SidecarConfigError('region', '--region / AWS_REGION is not set: the `aws` source needs the region of the target groups.');
    if (aws.targetType === 'ip' && pod.ip === null) {
      throw new SidecarConfigError(
        'pod-ip',
        `--pod-ip / POD_IP is not set: the \`aws\` source in ip mode registers podIP:port; ${downward}.`,
      );
    }
    if (aws.targetType === 'instance' && aws.instanceId === null && pod.nodeName === null) {
      throw new SidecarConfigError(
        'instance-id',
        '--instance-id / DRAINGATE_INSTANCE_ID is not set and neither is NODE_NAME: instance mode needs the node.',
      );
    }
    if (aws.instanceId !== null && !/^i-[0-9a-f]{8,17}$/.test(aws.instanceId)) {
      throw new SidecarConfigError(
        'instance-id',
        `--instance-id / DRAINGATE_INSTANCE_ID is ${JSON.stringify(aws.instanceId)}: not an EC2 instance id (i-0123456789abcdef0).`,
      );
    }
    if (aws.targetGroupArns.length > 0 && aws.targetPort === null) {
      throw new SidecarConfigError(
        'target-port',
        '--target-port / DRAINGATE_TARGET_PORT is not set: with explicit target group ARNs the port cannot come from a TargetGroupBinding.',
      );
    }
  }

  const app = { statusUrl: str('app-status-url'), healthyThreshold: integer('healthy-threshold', 1, 100) as number };
  if (source === 'app') {
    const u = required('app-status-url', "the `app` source reads core's management /status, e.g. http://127.0.0.1:9090/status");
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new SidecarConfigError('app-status-url', `--app-status-url / DRAINGATE_APP_STATUS_URL is ${JSON.stringify(u)}: not a URL.`);
    }
    if (url.protocol !== 'http:')
      throw new SidecarConfigError('app-status-url', '--app-status-url / DRAINGATE_APP_STATUS_URL must be an http:// URL on localhost.');
  }

  return {
    source,
    conditionType,
    listenHost,
    listenPort,
    kubeconfig,
    pod,
    pollIntervalMs,
    lbType: lbTypeSetting === 'auto' ? null : lbTypeSetting,
    propagationBoundMs,
    fallbackDelayMs: duration('fallback-delay'),
    appDrainBudgetMs: duration('app-drain-budget'),
    failOpenAfterMs,
    aws,
    app,
  };
}

/** One line per setting for the start-up log. */
export function describeConfig(c: SidecarConfig): string {
  const parts = [
    `source=${c.source}`,
    `condition=${c.conditionType}`,
    `listen=${c.listenHost}:${c.listenPort}`,
    `pod=${c.pod.namespace}/${c.pod.name}`,
    `poll=${formatDuration(c.pollIntervalMs)}`,
    `lbType=${c.lbType ?? 'auto'}`,
    `propagationBound=${c.propagationBoundMs === null ? 'by LB type' : formatDuration(c.propagationBoundMs)}`,
    `fallback=${formatDuration(c.fallbackDelayMs)}`,
    `appDrainBudget=${formatDuration(c.appDrainBudgetMs)}`,
    `failOpen=${c.failOpenAfterMs === null ? 'off' : formatDuration(c.failOpenAfterMs)}`,
  ];
  return parts.join(' ');
}
