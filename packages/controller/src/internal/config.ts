import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { DraingateConfigError, type LbType } from '@draingate/core';
import { parseDuration } from '@draingate/core/internal';
import { type Cidr, parseCidr } from './cidr.js';
import { ControllerConfigError } from './errors.js';

/** The resolved configuration: every duration in milliseconds. */
export interface ControllerConfig {
  conditionType: string;
  listenHost: string;
  listenPort: number;
  kubeconfig: string | null;
  /** Watch pods of this namespace only; `null`: every namespace. */
  namespace: string | null;
  /** A label selector pods must match (besides carrying the gate); `null`: none. */
  podSelector: string | null;
  identity: string;
  lease: { name: string; namespace: string; durationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  pollIntervalMs: number;
  aws: { region: string; endpoint: string | null; rate: number; burst: number; targetType: 'ip' | 'instance' };
  kubeApi: { qps: number; burst: number };
  lbType: LbType | null;
  propagationBoundMs: number | null;
  failOpenAfterMs: number | null;
  /** Where `/v1/pods/...` and `/metrics` may be asked from. */
  allow: Cidr[];
}

/** One setting: flag, environment variable, default (as written on the command line), meaning. */
export interface ControllerSettingSpec {
  readonly flag: string;
  readonly env: string;
  readonly default: string | null;
  readonly doc: string;
}

/** Private and loopback ranges: where pods of a cluster have their addresses (set your pod CIDRs to narrow it). */
export const DEFAULT_ALLOW = '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,127.0.0.0/8,::1/128,fc00::/7';

/** Every setting; the README's table and `--help` are generated from this list. */
export const CONTROLLER_SETTINGS: readonly ControllerSettingSpec[] = [
  {
    flag: 'listen',
    env: 'DRAINGATE_LISTEN',
    default: '0.0.0.0:9901',
    doc: 'host:port of the API (`/v1/pods/{ns}/{name}/status`, `/metrics`)',
  },
  {
    flag: 'allow-cidr',
    env: 'DRAINGATE_ALLOW_CIDRS',
    default: DEFAULT_ALLOW,
    doc: 'source addresses the API answers (comma-separated CIDRs); others get 403',
  },
  { flag: 'kubeconfig', env: 'KUBECONFIG', default: null, doc: 'kubeconfig file for local runs; unset: in-cluster service account' },
  {
    flag: 'condition-type',
    env: 'DRAINGATE_CONDITION_TYPE',
    default: 'draingate.io/lb-ready',
    doc: "the readiness gate's condition type: pods declaring it are served",
  },
  { flag: 'namespace', env: 'DRAINGATE_WATCH_NAMESPACE', default: null, doc: 'serve pods of this namespace only; unset: every namespace' },
  {
    flag: 'pod-selector',
    env: 'DRAINGATE_POD_SELECTOR',
    default: null,
    doc: 'label selector pods must also match, e.g. `draingate.io/controller=true`',
  },
  { flag: 'identity', env: 'POD_NAME', default: '(hostname)', doc: "this replica's name in the Lease (downward API `metadata.name`)" },
  {
    flag: 'lease-name',
    env: 'DRAINGATE_LEASE_NAME',
    default: 'draingate-controller',
    doc: 'the coordination.k8s.io/v1 Lease of the leader election',
  },
  {
    flag: 'lease-namespace',
    env: 'POD_NAMESPACE',
    default: null,
    doc: "the Lease's namespace (required: downward API `metadata.namespace`)",
  },
  {
    flag: 'lease-duration',
    env: 'DRAINGATE_LEASE_DURATION',
    default: '15s',
    doc: 'how long followers wait after the last renewal they saw before they take over',
  },
  {
    flag: 'renew-deadline',
    env: 'DRAINGATE_RENEW_DEADLINE',
    default: '10s',
    doc: 'the leader steps down when it could not renew for this long',
  },
  { flag: 'retry-period', env: 'DRAINGATE_RETRY_PERIOD', default: '2s', doc: 'how often the Lease is renewed or tried' },
  { flag: 'region', env: 'AWS_REGION', default: null, doc: "the target groups' AWS region (required)" },
  { flag: 'aws-endpoint', env: 'DRAINGATE_AWS_ENDPOINT', default: null, doc: 'ELBv2 endpoint URL (tests, VPC endpoints)' },
  {
    flag: 'aws-rate',
    env: 'DRAINGATE_AWS_RATE',
    default: '2',
    doc: 'ELBv2 calls per second at most (client-side token bucket; the account has ~10/s for every caller)',
  },
  { flag: 'aws-burst', env: 'DRAINGATE_AWS_BURST', default: '5', doc: 'ELBv2 calls at once after a quiet spell (the bucket size)' },
  {
    flag: 'poll-interval',
    env: 'DRAINGATE_POLL_INTERVAL',
    default: '5s',
    doc: 'DescribeTargetHealth per target group while one of its pods starts or drains (±20 % jitter)',
  },
  {
    flag: 'target-type',
    env: 'DRAINGATE_TARGET_TYPE',
    default: 'ip',
    doc: 'for TargetGroupBindings without `targetType`: `ip` (only ip targets are served)',
  },
  {
    flag: 'lb-type',
    env: 'DRAINGATE_LB_TYPE',
    default: 'auto',
    doc: "`auto` (from the target groups' protocol), `alb` or `nlb`: the propagation bound",
  },
  {
    flag: 'propagation-bound',
    env: 'DRAINGATE_PROPAGATION_BOUND',
    default: null,
    doc: "time LB nodes may route after the API shows draining; unset: the LB type's (ALB 30s, NLB 150s)",
  },
  {
    flag: 'fail-open-after',
    env: 'DRAINGATE_FAIL_OPEN_AFTER',
    default: null,
    doc: "gate True without evidence this long after the pod's creation; unset: never (the default)",
  },
  {
    flag: 'kube-api-qps',
    env: 'DRAINGATE_KUBE_API_QPS',
    default: '50',
    doc: 'API-server writes per second at most (gate patches before Events)',
  },
  { flag: 'kube-api-burst', env: 'DRAINGATE_KUBE_API_BURST', default: '100', doc: 'API-server writes at once after a quiet spell' },
];

const CONDITION_TYPE_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The `--help` text. */
export function usage(): string {
  const rows = CONTROLLER_SETTINGS.map(
    (s) => `  --${s.flag.padEnd(18)} ${s.env.padEnd(28)} ${s.doc}${s.default !== null ? ` (default ${s.default})` : ''}`,
  );
  return `usage: draingate-controller [options]\n\nflag / environment variable (flags win):\n${rows.join('\n')}\n`;
}

/**
 * Resolves the configuration from arguments and environment variables (flags win). Throws a
 * {@link ControllerConfigError} naming the first invalid or missing setting, its value and the fix.
 */
export function resolveControllerConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ControllerConfig {
  const options: Record<string, { type: 'string' }> = {};
  for (const s of CONTROLLER_SETTINGS) options[s.flag] = { type: 'string' };
  let parsed: Record<string, string | undefined>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as typeof parsed;
  } catch (e) {
    throw new ControllerConfigError('argv', `${(e as Error).message}. Run with --help for the list of settings.`);
  }
  const spec = (flag: string): ControllerSettingSpec => CONTROLLER_SETTINGS.find((s) => s.flag === flag) as ControllerSettingSpec;
  const label = (flag: string): string => `--${flag} / ${spec(flag).env}`;
  const raw = (flag: string): { value: string; from: string } | null => {
    const v = parsed[flag];
    if (v !== undefined) return { value: v, from: `--${flag}` };
    const e = env[spec(flag).env];
    return e !== undefined && e !== '' ? { value: e, from: spec(flag).env } : null;
  };
  const str = (flag: string): string | null => raw(flag)?.value ?? spec(flag).default;
  const fail = (flag: string, message: string): never => {
    throw new ControllerConfigError(flag, `${label(flag)} ${message}`);
  };
  const duration = (flag: string, optional = false): number | null => {
    const r = raw(flag);
    if (!r && optional) return null;
    const value = r?.value ?? (spec(flag).default as string);
    try {
      return parseDuration(value, flag, r ? r.from : `the default of ${label(flag)}`);
    } catch (e) {
      if (e instanceof DraingateConfigError)
        throw new ControllerConfigError(flag, e.message.replace(/^draingate: /, 'draingate-controller: '));
      throw e;
    }
  };
  const number = (flag: string, min: number, max: number, integer: boolean): number => {
    const v = str(flag) as string;
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || (integer && !Number.isInteger(n)) || n < min || n > max)
      fail(flag, `is ${JSON.stringify(v)}: use a ${integer ? 'whole ' : ''}number from ${min} to ${max}.`);
    return n;
  };

  const conditionType = str('condition-type') as string;
  if (!CONDITION_TYPE_RE.test(conditionType))
    fail('condition-type', `is ${JSON.stringify(conditionType)}: use a domain-prefixed name such as "draingate.io/lb-ready".`);
  const listen = str('listen') as string;
  const lm = /^(.+):(\d+)$/.exec(listen);
  const listenHost = lm?.[1]?.replace(/^\[(.*)\]$/, '$1') ?? '';
  const listenPort = Number(lm?.[2]);
  if (!lm || !(listenPort >= 0 && listenPort <= 65535))
    fail('listen', `is ${JSON.stringify(listen)}: use an address and a port such as "0.0.0.0:9901".`);
  const allow: Cidr[] = [];
  for (const c of (str('allow-cidr') as string)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const parsedCidr = parseCidr(c);
    if (!parsedCidr) fail('allow-cidr', `has ${JSON.stringify(c)}: not a CIDR such as 10.0.0.0/8 or fc00::/7.`);
    else allow.push(parsedCidr);
  }
  const kubeconfig = str('kubeconfig');
  if (kubeconfig !== null && !existsSync(kubeconfig)) fail('kubeconfig', `is ${JSON.stringify(kubeconfig)}: no such file.`);
  if (kubeconfig === null && !env.KUBERNETES_SERVICE_HOST)
    fail(
      'kubeconfig',
      'is not set and KUBERNETES_SERVICE_HOST is not either: run in a pod (in-cluster service account) or pass a kubeconfig file.',
    );
  const leaseNamespace = str('lease-namespace');
  if (!leaseNamespace)
    fail(
      'lease-namespace',
      "is not set: the Lease lives in the controller's namespace; set it from the downward API (fieldRef metadata.namespace).",
    );
  const lease = {
    name: str('lease-name') as string,
    namespace: leaseNamespace as string,
    durationMs: duration('lease-duration') as number,
    renewDeadlineMs: duration('renew-deadline') as number,
    retryPeriodMs: duration('retry-period') as number,
  };
  if (!(lease.retryPeriodMs < lease.renewDeadlineMs && lease.renewDeadlineMs < lease.durationMs)) {
    fail(
      'renew-deadline',
      `must lie between --retry-period (${lease.retryPeriodMs} ms) and --lease-duration (${lease.durationMs} ms): a leader must step down before followers take over.`,
    );
  }
  const region = str('region') ?? env.AWS_DEFAULT_REGION ?? null;
  if (!region) fail('region', 'is not set: the region of the target groups.');
  const endpoint = str('aws-endpoint');
  if (endpoint !== null && !URL.canParse(endpoint)) fail('aws-endpoint', `is ${JSON.stringify(endpoint)}: not a URL.`);
  const targetType = str('target-type');
  if (targetType !== 'ip')
    fail(
      'target-type',
      `is ${JSON.stringify(targetType)}: the controller serves ip targets only (instance targets have no per-pod target: use ip mode).`,
    );
  const lbType = str('lb-type');
  if (lbType !== 'auto' && lbType !== 'alb' && lbType !== 'nlb')
    fail('lb-type', `is ${JSON.stringify(lbType)}: choose one of auto, alb, nlb.`);
  const pollIntervalMs = duration('poll-interval') as number;
  if (pollIntervalMs < 1000)
    fail('poll-interval', 'is below 1s: one call per target group per second would eat the account-wide ELBv2 budget.');
  const failOpenAfterMs = duration('fail-open-after', true);
  if (failOpenAfterMs === 0)
    fail('fail-open-after', 'is 0s: that sets every gate True at once, without evidence; unset it to keep fail-open off.');
  return {
    conditionType,
    listenHost,
    listenPort,
    kubeconfig,
    namespace: str('namespace'),
    podSelector: str('pod-selector'),
    identity: raw('identity')?.value ?? hostname(),
    lease,
    pollIntervalMs,
    aws: {
      region: region as string,
      endpoint,
      rate: number('aws-rate', 0.1, 100, false),
      burst: number('aws-burst', 1, 100, true),
      targetType: 'ip',
    },
    kubeApi: { qps: number('kube-api-qps', 1, 10_000, false), burst: number('kube-api-burst', 1, 20_000, true) },
    lbType: lbType === 'auto' ? null : (lbType as LbType),
    propagationBoundMs: duration('propagation-bound', true),
    failOpenAfterMs,
    allow,
  };
}
