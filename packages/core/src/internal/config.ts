import { constants as osConstants } from 'node:os';
import { type Duration, describe, formatDuration, parseDuration } from './duration.js';
import { DraingateConfigError } from './errors.js';
import { createConsoleLogger, isLogger, type Logger, silentLogger } from './logger.js';
import type { GateOptions, MetricsOptions, MetricsRegistry, ResolvedConfig, ResolvedPaths } from './options.js';

export type {
  EndpointPaths,
  GateOptions,
  LbHealthCheckOptions,
  MetricsOptions,
  MetricsRegistry,
  ResolvedConfig,
  ResolvedPaths,
} from './options.js';

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
} = Object.freeze({
  gracePeriod: '30s',
  minDelay: '2s',
  maxDelay: '20s',
  drainTimeout: '5s',
  hooksTimeout: '3s',
  quietPeriod: '2s',
  quietMinRequests: 10,
  lbUnhealthyThreshold: 2,
  lbMargin: '1s',
  lbUserAgent: /^ELB-HealthChecker\//,
  sidecarPollInterval: '500ms',
  paths: Object.freeze({ livez: '/livez', readyz: '/readyz', status: '/status', metrics: '/metrics', prestop: '/prestop' }),
});

/** Every environment variable draingate reads, with the option it sets. */
export const ENV_VARS: Readonly<Record<string, string>> = Object.freeze({
  DRAINGATE_GRACE_PERIOD: 'gracePeriod',
  DRAINGATE_MIN_DELAY: 'minDelay',
  DRAINGATE_MAX_DELAY: 'maxDelay',
  DRAINGATE_DELAY: 'delay',
  DRAINGATE_DRAIN_TIMEOUT: 'drainTimeout',
  DRAINGATE_HOOKS_TIMEOUT: 'hooksTimeout',
  DRAINGATE_QUIET_PERIOD: 'quietPeriod',
  DRAINGATE_QUIET_MIN_REQUESTS: 'quietMinRequests',
  DRAINGATE_LB_UNHEALTHY_THRESHOLD: 'lbHealthCheck.unhealthyThreshold',
  DRAINGATE_LB_USER_AGENT: 'lbHealthCheck.userAgent',
  DRAINGATE_SIDECAR_URL: 'sidecarUrl',
  DRAINGATE_SIDECAR_POLL_INTERVAL: 'sidecarPollInterval',
  DRAINGATE_MANAGEMENT_PORT: 'managementPort',
  DRAINGATE_MANAGEMENT_HOST: 'managementHost',
});

/**
 * Variables of the draingate-sidecar container (@draingate/sidecar), not of the app. They are refused like any
 * unknown DRAINGATE_* variable, with a message that says where they belong (a ConfigMap shared through `envFrom`
 * gives them to both containers). The sidecar's tests check this list against its own settings.
 */
export const SIDECAR_ENV_VARS: readonly string[] = Object.freeze([
  'DRAINGATE_SOURCE',
  'DRAINGATE_CONDITION_TYPE',
  'DRAINGATE_LISTEN',
  'DRAINGATE_POLL_INTERVAL',
  'DRAINGATE_PROPAGATION_MARGIN',
  'DRAINGATE_FALLBACK_DELAY',
  'DRAINGATE_APP_DRAIN_BUDGET',
  'DRAINGATE_FAIL_OPEN_AFTER',
  'DRAINGATE_AWS_ENDPOINT',
  'DRAINGATE_TARGET_GROUP_ARNS',
  'DRAINGATE_TARGET_TYPE',
  'DRAINGATE_TARGET_PORT',
  'DRAINGATE_INSTANCE_ID',
  'DRAINGATE_APP_STATUS_URL',
  'DRAINGATE_HEALTHY_THRESHOLD',
]);

const OPTION_KEYS = new Set([
  'gracePeriod',
  'minDelay',
  'maxDelay',
  'delay',
  'drainTimeout',
  'hooksTimeout',
  'quietPeriod',
  'quietMinRequests',
  'lbHealthCheck',
  'sidecarUrl',
  'sidecarPollInterval',
  'managementPort',
  'managementHost',
  'paths',
  'readyOnListen',
  'signals',
  'exit',
  'logger',
  'metrics',
  'env',
]);

/**
 * Kubernetes injects `<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT_8080_TCP_ADDR`, ... for every Service in the
 * namespace: a Service named `draingate-*` must not make every pod fail at start-up.
 */
const SERVICE_LINK = /_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)$/;
/** `<SERVICE>_PORT=tcp://10.0.0.11:6379`: only the value tells it from a mistyped DRAINGATE_*_PORT. */
const SERVICE_LINK_URL = /^(tcp|udp|sctp):\/\//;

function isServiceLink(name: string, value: string | undefined): boolean {
  return SERVICE_LINK.test(name) || (name.endsWith('_PORT') && SERVICE_LINK_URL.test(value ?? ''));
}

function envName(option: string): string {
  return Object.keys(ENV_VARS).find((k) => ENV_VARS[k] === option) ?? option;
}

/** Picks the option if given, else the environment variable, naming the source for error messages. */
function pick(
  options: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  option: string,
): { value: unknown; source: string } | undefined {
  const parts = option.split('.');
  let v: unknown = options;
  for (const p of parts) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[p];
  if (v !== undefined) return { value: v, source: `option ${option}` };
  const name = envName(option);
  const raw = env[name];
  if (raw !== undefined && raw !== '') return { value: raw, source: `${name}` };
  return undefined;
}

function duration(
  options: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  option: string,
  fallback: Duration,
): number {
  const got = pick(options, env, option);
  return parseDuration(got ? got.value : fallback, option, got ? got.source : `default ${option}`);
}

function integer(
  options: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  option: string,
  fallback: number,
  min: number,
  max: number,
  example: string,
): number {
  const got = pick(options, env, option);
  if (!got) return fallback;
  const n = typeof got.value === 'string' && /^\d+$/.test(got.value.trim()) ? Number(got.value) : got.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    const link =
      typeof got.value === 'string' && SERVICE_LINK_URL.test(got.value)
        ? ` It looks like a Kubernetes service link: a Service named like this variable exists in the namespace; rename it or set enableServiceLinks: false in the pod spec.`
        : '';
    throw new DraingateConfigError(
      option,
      `${got.source} must be a whole number from ${min} to ${max}, got ${describe(got.value)}; e.g. ${example}.${link}`,
    );
  }
  return n;
}

function suggest(name: string): string {
  let best = '';
  let bestScore = Number.POSITIVE_INFINITY;
  for (const known of Object.keys(ENV_VARS)) {
    const d = editDistance(name, known);
    if (d < bestScore) {
      bestScore = d;
      best = known;
    }
  }
  return bestScore <= 4 ? ` Did you mean ${best}?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = i - 1;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function userAgentPattern(value: unknown, source: string): RegExp {
  // A global or sticky RegExp keeps lastIndex between test() calls and would match every other request.
  if (value instanceof RegExp) return value.global || value.sticky ? new RegExp(value.source, value.flags.replace(/[gy]/g, '')) : value;
  if (typeof value === 'string' && value.length > 0) {
    // A plain string matches as a prefix (e.g. "ELB-HealthChecker/"), case-sensitive like the header itself.
    return new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  }
  throw new DraingateConfigError(
    'lbHealthCheck.userAgent',
    `${source} must be a non-empty string or a RegExp, got ${describe(value)}; e.g. "ELB-HealthChecker/".`,
  );
}

function path(value: unknown, setting: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('?')) {
    throw new DraingateConfigError(setting, `option ${setting} must be a path starting with "/", got ${describe(value)}.`);
  }
  return value;
}

/**
 * Resolves options + environment into a validated configuration. Throws {@link DraingateConfigError} for any
 * invalid value, unknown option or unknown `DRAINGATE_*` variable, and when the shutdown budget does not fit
 * the grace period.
 */
export function resolveConfig(input: GateOptions = {}): ResolvedConfig {
  if (input === null || typeof input !== 'object') {
    throw new DraingateConfigError('options', `options must be an object, got ${describe(input)}.`);
  }
  const options = input as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new DraingateConfigError(key, `unknown option ${JSON.stringify(key)}. Known options: ${[...OPTION_KEYS].join(', ')}.`);
    }
  }
  const env = input.env ?? process.env;
  for (const name of Object.keys(env)) {
    if (name.startsWith('DRAINGATE_') && !(name in ENV_VARS) && !isServiceLink(name, env[name])) {
      if (SIDECAR_ENV_VARS.includes(name)) {
        throw new DraingateConfigError(
          name,
          `${name} is a setting of the draingate-sidecar container, not of the app: set it in the sidecar container's env only (a ConfigMap shared through envFrom gives it to both).`,
        );
      }
      throw new DraingateConfigError(
        name,
        `unknown environment variable ${name}.${suggest(name)} Known: ${Object.keys(ENV_VARS).join(', ')}.`,
      );
    }
  }

  const gracePeriod = duration(options, env, 'gracePeriod', DEFAULTS.gracePeriod);
  const minDelay = duration(options, env, 'minDelay', DEFAULTS.minDelay);
  const maxDelay = duration(options, env, 'maxDelay', DEFAULTS.maxDelay);
  const drainTimeout = duration(options, env, 'drainTimeout', DEFAULTS.drainTimeout);
  const hooksTimeout = duration(options, env, 'hooksTimeout', DEFAULTS.hooksTimeout);
  const quietPeriod = duration(options, env, 'quietPeriod', DEFAULTS.quietPeriod);
  const sidecarPollInterval = duration(options, env, 'sidecarPollInterval', DEFAULTS.sidecarPollInterval);
  const delayPick = pick(options, env, 'delay');
  const delay = delayPick && delayPick.value !== null ? parseDuration(delayPick.value, 'delay', delayPick.source) : null;
  const quietMinRequests = integer(options, env, 'quietMinRequests', DEFAULTS.quietMinRequests, 1, 1_000_000, '10');
  const lbUnhealthyThreshold = integer(
    options,
    env,
    'lbHealthCheck.unhealthyThreshold',
    DEFAULTS.lbUnhealthyThreshold,
    1,
    10,
    '2 (the ALB default; valid range 2-10 on AWS)',
  );

  if (options.lbHealthCheck !== undefined && (options.lbHealthCheck === null || typeof options.lbHealthCheck !== 'object')) {
    throw new DraingateConfigError('lbHealthCheck', `option lbHealthCheck must be an object, got ${describe(options.lbHealthCheck)}.`);
  }
  const lb = (options.lbHealthCheck ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(lb)) {
    if (!['userAgent', 'paths', 'unhealthyThreshold', 'margin'].includes(key)) {
      throw new DraingateConfigError(
        `lbHealthCheck.${key}`,
        `unknown option lbHealthCheck.${key}. Known: userAgent, paths, unhealthyThreshold, margin.`,
      );
    }
  }
  const lbMargin =
    lb.margin === undefined
      ? parseDuration(DEFAULTS.lbMargin, 'lbHealthCheck.margin')
      : parseDuration(lb.margin, 'lbHealthCheck.margin', 'option lbHealthCheck.margin');
  const uaPick = pick(options, env, 'lbHealthCheck.userAgent');
  const lbUserAgent = uaPick ? userAgentPattern(uaPick.value, uaPick.source) : DEFAULTS.lbUserAgent;
  let lbPaths: readonly string[] | null = null;
  if (lb.paths !== undefined) {
    if (!Array.isArray(lb.paths) || lb.paths.length === 0) {
      throw new DraingateConfigError(
        'lbHealthCheck.paths',
        `option lbHealthCheck.paths must be a non-empty array of paths, e.g. ["/readyz"].`,
      );
    }
    lbPaths = lb.paths.map((p, i) => path(p, `lbHealthCheck.paths[${i}]`));
  }

  const sidecarPick = pick(options, env, 'sidecarUrl');
  let sidecarUrl: string | null = null;
  if (sidecarPick && sidecarPick.value !== null) {
    const raw = sidecarPick.value;
    let ok = false;
    if (typeof raw === 'string') {
      try {
        const u = new URL(raw);
        ok = u.protocol === 'http:' && u.search === '' && u.hash === '';
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new DraingateConfigError(
        'sidecarUrl',
        `${sidecarPick.source} must be an http:// base URL without query, got ${describe(raw)}; e.g. "http://127.0.0.1:9901".`,
      );
    }
    sidecarUrl = (raw as string).replace(/\/+$/, '');
  }

  if (options.managementPort !== undefined && options.managementPort !== null && typeof options.managementPort !== 'number') {
    throw new DraingateConfigError(
      'managementPort',
      `option managementPort must be a number, got ${describe(options.managementPort)}; e.g. 9000.`,
    );
  }
  const portPick = pick(options, env, 'managementPort');
  const managementPort =
    portPick && portPick.value !== null ? integer(options, env, 'managementPort', 0, 0, 65535, '9000 (0 picks a free port)') : null;
  const hostPick = pick(options, env, 'managementHost');
  let managementHost: string | null = null;
  if (hostPick && hostPick.value !== null) {
    if (typeof hostPick.value !== 'string' || hostPick.value.trim() === '') {
      throw new DraingateConfigError('managementHost', `${hostPick.source} must be a host name or address, e.g. "0.0.0.0".`);
    }
    managementHost = hostPick.value;
  }

  const pathsIn = (options.paths ?? {}) as Record<string, unknown>;
  if (options.paths !== undefined && (options.paths === null || typeof options.paths !== 'object')) {
    throw new DraingateConfigError('paths', `option paths must be an object, got ${describe(options.paths)}.`);
  }
  const paths = { ...DEFAULTS.paths };
  for (const key of Object.keys(pathsIn)) {
    if (!(key in paths)) {
      throw new DraingateConfigError(`paths.${key}`, `unknown option paths.${key}. Known: ${Object.keys(paths).join(', ')}.`);
    }
    paths[key as keyof ResolvedPaths] = path(pathsIn[key], `paths.${key}`);
  }
  const pathValues = Object.values(paths);
  if (new Set(pathValues).size !== pathValues.length) {
    throw new DraingateConfigError('paths', `option paths must all differ, got ${JSON.stringify(paths)}.`);
  }

  const bool = (key: string, fallback: boolean): boolean => {
    const v = options[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new DraingateConfigError(key, `option ${key} must be true or false, got ${describe(v)}.`);
    return v;
  };
  const readyOnListen = bool('readyOnListen', false);
  const exit = bool('exit', true);

  let signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  if (options.signals === false) signals = [];
  else if (options.signals !== undefined) {
    const bad = Array.isArray(options.signals)
      ? options.signals.filter((s) => typeof s !== 'string' || !(s in osConstants.signals) || s === 'SIGKILL' || s === 'SIGSTOP')
      : [options.signals];
    if (bad.length > 0) {
      throw new DraingateConfigError(
        'signals',
        `option signals must be an array of catchable signal names, e.g. ["SIGTERM", "SIGINT"], or false; not ${bad.map((b) => describe(b)).join(', ')}.`,
      );
    }

    signals = options.signals as NodeJS.Signals[];
  }

  let logger: Logger;
  if (options.logger === false) logger = silentLogger;
  else if (options.logger === undefined) logger = createConsoleLogger();
  else if (isLogger(options.logger)) logger = options.logger;
  else {
    throw new DraingateConfigError('logger', 'option logger must have debug, info, warn and error methods (pino-compatible), or be false.');
  }

  let metrics: MetricsOptions | false | 'auto' = 'auto';
  if (options.metrics === false) metrics = false;
  else if (options.metrics === true) metrics = {};
  else if (options.metrics !== undefined) {
    const m = options.metrics as Record<string, unknown>;
    if (m === null || typeof m !== 'object') {
      throw new DraingateConfigError('metrics', `option metrics must be true, false or { registry, prefix }, got ${describe(m)}.`);
    }
    if (m.registry !== undefined && typeof (m.registry as MetricsRegistry).registerMetric !== 'function') {
      throw new DraingateConfigError('metrics.registry', 'option metrics.registry must be a prom-client Registry.');
    }
    if (m.prefix !== undefined && (typeof m.prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.prefix))) {
      throw new DraingateConfigError(
        'metrics.prefix',
        `option metrics.prefix must be a valid Prometheus name prefix, e.g. "draingate_", got ${describe(m.prefix)}.`,
      );
    }
    metrics = m as MetricsOptions;
  }

  // Relations between settings.
  if (minDelay > maxDelay) {
    throw new DraingateConfigError(
      'minDelay',
      `minDelay (${formatDuration(minDelay)}) is greater than maxDelay (${formatDuration(maxDelay)}): lower minDelay or raise maxDelay.`,
    );
  }
  if (delay !== null && (delay < minDelay || delay > maxDelay)) {
    throw new DraingateConfigError(
      'delay',
      `delay (${formatDuration(delay)}) must lie within [minDelay, maxDelay] = [${formatDuration(minDelay)}, ${formatDuration(maxDelay)}].`,
    );
  }
  if (quietPeriod === 0) throw new DraingateConfigError('quietPeriod', 'quietPeriod must be greater than 0, e.g. "2s".');
  if (sidecarPollInterval < 50) {
    throw new DraingateConfigError('sidecarPollInterval', 'sidecarPollInterval must be at least 50ms, e.g. "500ms".');
  }
  if (lb.margin !== undefined && lbMargin >= maxDelay) {
    throw new DraingateConfigError(
      'lbHealthCheck.margin',
      `lbHealthCheck.margin (${formatDuration(lbMargin)}) is not shorter than maxDelay (${formatDuration(maxDelay)}): LB health checks could never end draining. Use e.g. "1s".`,
    );
  }
  const budget = maxDelay + drainTimeout + hooksTimeout;
  if (budget >= gracePeriod) {
    throw new DraingateConfigError(
      'gracePeriod',
      `the shutdown budget does not fit the grace period: maxDelay ${formatDuration(maxDelay)} + drainTimeout ${formatDuration(drainTimeout)} + hooksTimeout ${formatDuration(hooksTimeout)} = ${formatDuration(budget)}, which is not less than gracePeriod ${formatDuration(gracePeriod)}. Lower maxDelay, drainTimeout or hooksTimeout (DRAINGATE_MAX_DELAY, DRAINGATE_DRAIN_TIMEOUT, DRAINGATE_HOOKS_TIMEOUT), or raise the pod's terminationGracePeriodSeconds and DRAINGATE_GRACE_PERIOD to more than ${formatDuration(budget)}.`,
    );
  }

  return {
    gracePeriod,
    minDelay,
    maxDelay,
    delay,
    drainTimeout,
    hooksTimeout,
    quietPeriod,
    quietMinRequests,
    lbUserAgent,
    lbPaths,
    lbUnhealthyThreshold,
    lbMargin,
    sidecarUrl,
    sidecarPollInterval,
    managementPort,
    managementHost,
    paths,
    readyOnListen,
    signals,
    exit,
    logger,
    metrics,
  };
}
