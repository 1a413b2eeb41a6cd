/**
 * Every setting of core in one table: option path, environment variable, kind, default, range and doc. The option
 * list, `ENV_VARS`, `DEFAULTS`, the keys of the `lbHealthCheck` and `paths` groups, the plan in `GET /status` and
 * the README's options table all come from it (test/readme.test.ts checks the README row for row).
 */
import type { Duration } from './duration.js';
import type { EndpointPaths, GateOptions, LbHealthCheckOptions, ResolvedConfig, ResolvedPaths } from './options.js';

/** The options that are objects of settings: each key of theirs is a row of its own (`lbHealthCheck.margin`). */
export type SettingGroup = 'lbHealthCheck' | 'paths';

/** Every option path: `satisfies Record<OptionPath, ...>` below makes tsc fail when GateOptions gains one without a row. */
export type OptionPath =
  | Exclude<keyof GateOptions, SettingGroup>
  | `lbHealthCheck.${keyof LbHealthCheckOptions}`
  | `paths.${keyof EndpointPaths}`;

/** Where a setting's resolved value lives in `ResolvedConfig` (`paths.livez`: nested). */
export type ConfigKey = Exclude<keyof ResolvedConfig, 'paths'> | `paths.${keyof ResolvedPaths}`;

/** How a value is read and checked: the parsers are in setting-kinds.ts. */
export type SettingKind =
  | 'duration'
  | 'optional-duration'
  | 'integer'
  | 'port'
  | 'url'
  | 'host'
  | 'user-agent'
  | 'path'
  | 'paths'
  | 'boolean'
  | 'enum'
  | 'signals'
  | 'logger'
  | 'metrics'
  | 'env';

export interface Setting {
  /** The option's path in `GateOptions`, e.g. `lbHealthCheck.unhealthyThreshold`. */
  readonly option: OptionPath;
  /** Where the resolved value goes in `ResolvedConfig`; `null` for `env`, which `resolveConfig` reads first. */
  readonly key: ConfigKey | null;
  /** The `DRAINGATE_*` variable that sets it; `null`: code only. */
  readonly env: string | null;
  readonly kind: SettingKind;
  /** The default as it would be written in code (durations with their unit); `null`: none, the kind decides. */
  readonly default: Duration | number | string | boolean | RegExp | readonly string[] | null;
  /** The default in the README's words, where it is not a value ("none", "all interfaces"). */
  readonly shown?: string;
  /** Lowest valid value: an integer's, or a duration's in milliseconds. */
  readonly min?: number;
  /** Highest valid value of an integer. */
  readonly max?: number;
  /** The values an `enum` accepts. */
  readonly values?: readonly string[];
  /** A valid value for error messages, where the default is not a good example. */
  readonly example?: string;
  /** Shown in `GET /status` under `plan` (the durations and counts that decide when draining and stopping end). */
  readonly plan?: true;
  /** What it does, as the README's options table says it. */
  readonly doc: string;
}

type Row = Omit<Setting, 'option'>;

const TABLE = {
  gracePeriod: {
    key: 'gracePeriod',
    env: 'DRAINGATE_GRACE_PERIOD',
    kind: 'duration',
    default: '30s',
    plan: true,
    doc: "the pod's `terminationGracePeriodSeconds`; start-up fails unless `maxDelay + drainTimeout + hooksTimeout < gracePeriod`",
  },
  minDelay: {
    key: 'minDelay',
    env: 'DRAINGATE_MIN_DELAY',
    kind: 'duration',
    default: '2s',
    plan: true,
    doc: 'draining never ends earlier, whatever the evidence',
  },
  maxDelay: {
    key: 'maxDelay',
    env: 'DRAINGATE_MAX_DELAY',
    kind: 'duration',
    // With the default gracePeriod, drainTimeout and hooksTimeout; resolveConfig derives it from the ones in use.
    default: '20s',
    shown: '`gracePeriod − drainTimeout − hooksTimeout − 2s` (`20s` with the other defaults)',
    plan: true,
    doc: "draining always ends by then, evidence or not; the default uses what the grace period leaves, so setting the grace period to the pod's is enough",
  },
  delay: {
    key: 'delay',
    env: 'DRAINGATE_DELAY',
    kind: 'optional-duration',
    default: null,
    shown: 'none',
    plan: true,
    doc: 'a fixed delay that counts as (the weakest) evidence, like `preStop: sleep`; must lie in `[minDelay, maxDelay]`',
  },
  drainTimeout: {
    key: 'drainTimeout',
    env: 'DRAINGATE_DRAIN_TIMEOUT',
    kind: 'duration',
    default: '5s',
    plan: true,
    doc: 'how long in-flight requests may run once stopping begins',
  },
  hooksTimeout: {
    key: 'hooksTimeout',
    env: 'DRAINGATE_HOOKS_TIMEOUT',
    kind: 'duration',
    default: '3s',
    plan: true,
    doc: 'budget for all shutdown hooks together, shared out so that none can starve the others (see Shutdown hooks)',
  },
  quietPeriod: {
    key: 'quietPeriod',
    env: 'DRAINGATE_QUIET_PERIOD',
    kind: 'duration',
    default: '2s',
    min: 1,
    plan: true,
    doc: 'silence that counts as evidence, if significant',
  },
  quietMinRequests: {
    key: 'quietMinRequests',
    env: 'DRAINGATE_QUIET_MIN_REQUESTS',
    kind: 'integer',
    default: 10,
    min: 1,
    max: 1_000_000,
    plan: true,
    doc: 'the quiet period counts only if the rate before draining predicted at least this many requests in it',
  },
  'lbHealthCheck.userAgent': {
    key: 'lbUserAgent',
    env: 'DRAINGATE_LB_USER_AGENT',
    kind: 'user-agent',
    default: /^ELB-HealthChecker\//,
    example: '"ELB-HealthChecker/"',
    doc: 'how LB health checks are recognised (a string matches as a prefix)',
  },
  'lbHealthCheck.paths': {
    key: 'lbPaths',
    env: null,
    kind: 'paths',
    default: null,
    shown: 'any path',
    doc: 'restrict recognition to these paths',
  },
  'lbHealthCheck.unhealthyThreshold': {
    key: 'lbUnhealthyThreshold',
    env: 'DRAINGATE_LB_UNHEALTHY_THRESHOLD',
    kind: 'integer',
    default: 2,
    min: 1,
    max: 10,
    example: '2 (the ALB default; valid range 2-10 on AWS)',
    plan: true,
    doc: "failing answers each LB node must get before the target is out; match the target group's `UnhealthyThresholdCount`",
  },
  'lbHealthCheck.margin': {
    key: 'lbMargin',
    env: null,
    kind: 'duration',
    default: '1s',
    plan: true,
    doc: 'time for the LB to act on the failing answer that reached the threshold; must be shorter than `maxDelay`',
  },
  lbType: {
    key: 'lbType',
    env: 'DRAINGATE_LB_TYPE',
    kind: 'enum',
    values: ['auto', 'alb', 'nlb'],
    default: 'auto',
    plan: true,
    doc: "the load balancer in front: `alb` (a node's silence shows it stopped routing), `nlb` (L4: silence proves nothing; failing checks count after the NLB's reaction time), `auto`: the sidecar's answer, else `alb`",
  },
  sidecarUrl: {
    key: 'sidecarUrl',
    env: 'DRAINGATE_SIDECAR_URL',
    kind: 'url',
    default: null,
    shown: 'none',
    example: '"http://127.0.0.1:9901"',
    doc: "base URL of the draingate sidecar, or a URL ending in `/status` used as is (the controller's per-pod URL) ([contract](../../docs/sidecar-contract.md))",
  },
  sidecarPollInterval: {
    key: 'sidecarPollInterval',
    env: 'DRAINGATE_SIDECAR_POLL_INTERVAL',
    kind: 'duration',
    default: '500ms',
    min: 50,
    doc: 'sidecar polling while draining',
  },
  managementPort: {
    key: 'managementPort',
    env: 'DRAINGATE_MANAGEMENT_PORT',
    kind: 'port',
    default: null,
    shown: 'none',
    min: 0,
    max: 65535,
    example: '9000 (0 picks a free port)',
    doc: 'port for `/livez` `/readyz` `/status` `/metrics` `/prestop` (0: any free port)',
  },
  managementHost: {
    key: 'managementHost',
    env: 'DRAINGATE_MANAGEMENT_HOST',
    kind: 'host',
    default: null,
    shown: 'all interfaces',
    example: '"0.0.0.0"',
    doc: 'kubelet probes the pod IP, so keep all interfaces in a pod',
  },
  'paths.livez': {
    key: 'paths.livez',
    env: null,
    kind: 'path',
    default: '/livez',
    doc: 'liveness probe (traffic and management port)',
  },
  'paths.readyz': {
    key: 'paths.readyz',
    env: null,
    kind: 'path',
    default: '/readyz',
    doc: 'readiness probe (traffic and management port)',
  },
  'paths.status': { key: 'paths.status', env: null, kind: 'path', default: '/status', doc: 'status JSON (management port only)' },
  'paths.metrics': { key: 'paths.metrics', env: null, kind: 'path', default: '/metrics', doc: 'Prometheus metrics (management port only)' },
  'paths.prestop': {
    key: 'paths.prestop',
    env: null,
    kind: 'path',
    default: '/prestop',
    doc: 'preStop hook that starts draining (management port only)',
  },
  readyOnListen: {
    key: 'readyOnListen',
    env: null,
    kind: 'boolean',
    default: false,
    doc: 'become ready when an attached server listens, instead of on `gate.ready()`',
  },
  signals: {
    key: 'signals',
    env: null,
    kind: 'signals',
    default: ['SIGTERM', 'SIGINT'],
    doc: 'signals that start shutdown; a second one forces exit',
  },
  exit: {
    key: 'exit',
    env: null,
    kind: 'boolean',
    default: true,
    doc: '`process.exit(code)` once stopped, when a signal or `/prestop` started the shutdown',
  },
  logger: {
    key: 'logger',
    env: null,
    kind: 'logger',
    default: null,
    shown: 'one line per event on stderr',
    doc: 'where draingate logs: any pino-compatible `{ debug, info, warn, error }`; `false` for none',
  },
  metrics: {
    key: 'metrics',
    env: null,
    kind: 'metrics',
    default: null,
    shown: 'on if prom-client is installed',
    doc: "prom-client metrics, served on the management port's `/metrics`; `{ registry, prefix }`: in your Registry, with your name prefix (default `draingate_`)",
  },
  env: { key: null, env: null, kind: 'env', default: null, shown: '`process.env`', doc: 'where `DRAINGATE_*` are read from' },
} satisfies Record<OptionPath, Row>;

/** Every setting of core, in the README's order. */
export const SETTINGS: readonly Setting[] = Object.freeze(
  Object.entries(TABLE).map(([option, row]): Setting => Object.freeze({ option: option as OptionPath, ...(row as Row) })),
);

const BY_OPTION: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.option, s]));

/** The row of an option path. */
export function settingOf(option: OptionPath): Setting {
  return BY_OPTION.get(option) as Setting;
}

/** The top-level options, in table order (a group counts once). */
export const OPTION_KEYS: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.option.split('.')[0] as string));

/** The keys of a group's object, e.g. `userAgent, paths, unhealthyThreshold, margin` for `lbHealthCheck`. */
export function groupKeys(group: SettingGroup): readonly string[] {
  return SETTINGS.filter((s) => s.option.startsWith(`${group}.`)).map((s) => s.option.slice(group.length + 1));
}

/** Every environment variable draingate reads, with the option it sets. */
export const ENV_VARS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(SETTINGS.filter((s) => s.env !== null).map((s) => [s.env, s.option])),
);

/** The kinds whose defaults are values (durations, counts, the health-check pattern, paths), not behaviour. */
const DEFAULT_KINDS: ReadonlySet<SettingKind> = new Set(['duration', 'integer', 'user-agent', 'path']);

/** Defaults, chosen for an AWS ALB managed by the AWS Load Balancer Controller with its default settings. */
export const DEFAULTS: {
  readonly gracePeriod: Duration;
  readonly minDelay: Duration;
  readonly maxDelay: Duration;
  readonly drainTimeout: Duration;
  readonly hooksTimeout: Duration;
  readonly quietPeriod: Duration;
  readonly quietMinRequests: number;
  readonly lbUnhealthyThreshold: number;
  readonly lbMargin: Duration;
  readonly lbUserAgent: RegExp;
  readonly sidecarPollInterval: Duration;
  readonly paths: Readonly<ResolvedPaths>;
} = (() => {
  const defaults: Record<string, unknown> = {};
  for (const s of SETTINGS) if (s.key !== null && s.default !== null && DEFAULT_KINDS.has(s.kind)) setAt(defaults, s.key, s.default);
  Object.freeze(defaults.paths);
  return Object.freeze(defaults) as typeof DEFAULTS;
})();

/** The value at a `ConfigKey` (`paths.livez` is nested). */
export function valueAt(config: ResolvedConfig | Record<string, unknown>, key: ConfigKey): unknown {
  const [head, tail] = key.split('.') as [string, string | undefined];
  const v = (config as Record<string, unknown>)[head];
  return tail === undefined ? v : (v as Record<string, unknown>)[tail];
}

/** Sets the value at a `ConfigKey` (`paths.livez` is nested: the `paths` object is made on first use). */
export function setAt(target: Record<string, unknown>, key: ConfigKey, value: unknown): void {
  const [head, tail] = key.split('.') as [string, string | undefined];
  if (tail === undefined) {
    target[head] = value;
    return;
  }
  if (target[head] === undefined) target[head] = {};
  (target[head] as Record<string, unknown>)[tail] = value;
}
