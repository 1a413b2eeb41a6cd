import { describe, formatDuration } from './duration.js';
import { type ConfigSource, DraingateConfigError } from './errors.js';
import type { GateOptions, ResolvedConfig } from './options.js';
import { KINDS, Problem, SERVICE_LINK_URL, type SetFrom } from './setting-kinds.js';
import {
  type ConfigKey,
  ENV_VARS,
  groupKeys,
  OPTION_KEYS,
  type OptionPath,
  SETTINGS,
  type SettingGroup,
  setAt,
  settingOf,
  valueAt,
} from './settings.js';
import { SIDECAR_SETTINGS } from './sidecar-settings.js';

export type {
  EndpointPaths,
  GateOptions,
  LbHealthCheckOptions,
  MetricsOptions,
  MetricsRegistry,
  ResolvedConfig,
  ResolvedPaths,
} from './options.js';
export { DEFAULTS, ENV_VARS } from './settings.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Variables of the draingate-sidecar container (@draingate/sidecar), not of the app: the `DRAINGATE_*` names of the
 * sidecar's own settings table, but for those both read (`DRAINGATE_LB_TYPE`: one ConfigMap can set it for both). They are refused like any unknown DRAINGATE_* variable, with a message that says
 * where they belong (a ConfigMap shared through `envFrom` gives them to both containers).
 */
export const SIDECAR_ENV_VARS: readonly string[] = Object.freeze(
  SIDECAR_SETTINGS.map((s) => s.env).filter((name) => name.startsWith('DRAINGATE_') && !(name in ENV_VARS)),
);

/**
 * Kubernetes injects `<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT_8080_TCP_ADDR`, ... for every Service in the
 * namespace: a Service named `draingate-*` must not make every pod fail at start-up.
 */
const SERVICE_LINK = /_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)$/;

function isServiceLink(name: string, value: string | undefined): boolean {
  // `<SERVICE>_PORT=tcp://10.0.0.11:6379`: only the value tells it from a mistyped DRAINGATE_*_PORT.
  return SERVICE_LINK.test(name) || (name.endsWith('_PORT') && SERVICE_LINK_URL.test(value ?? ''));
}

const GROUPS: readonly SettingGroup[] = ['lbHealthCheck', 'paths'];

/**
 * Resolves options + environment into a validated configuration: each setting of the table (settings.ts) is read
 * from its option, else its variable, else its default, and checked by its kind; then the relations between
 * settings are checked. Throws {@link DraingateConfigError} for any invalid value, unknown option or unknown
 * `DRAINGATE_*` variable, and when the shutdown budget does not fit the grace period; the message names what the
 * user set (the variable or the option), and every side of a relation.
 */
export function resolveConfig(input: GateOptions = {}): ResolvedConfig {
  if (input === null || typeof input !== 'object') {
    throw new DraingateConfigError('options', `options must be an object, got ${describe(input)}.`);
  }
  const options = input as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new DraingateConfigError(key, `unknown option ${JSON.stringify(key)}. Known options: ${[...OPTION_KEYS].join(', ')}.`, [
        { setting: key, from: 'option', name: key },
      ]);
    }
  }
  for (const group of GROUPS) checkGroup(options, group);
  const envSetting = settingOf('env');
  const env = (options.env === undefined ? KINDS.env.unset(envSetting) : KINDS.env.parse(options.env, envSetting, 'option')) as Env;
  checkVariables(env);

  const resolved: Record<string, unknown> = {};
  const sources = new Map<OptionPath, ConfigSource>();
  for (const s of SETTINGS) {
    if (s.key === null) continue; // env, read above: every other setting may come from it
    const got = pick(options, env, s.option, s.env);
    if (!got) {
      setAt(resolved, s.key, KINDS[s.kind].unset(s));
      sources.set(s.option, { setting: s.option, from: 'default', name: s.option });
      continue;
    }
    const source: ConfigSource = { setting: s.option, from: got.from, name: got.from === 'env' ? (s.env as string) : s.option };
    try {
      setAt(resolved, s.key, KINDS[s.kind].parse(got.value, s, got.from));
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      const subject = got.from === 'env' ? source.name : `option ${s.option}`;
      throw new DraingateConfigError(`${s.option}${error.part}`, `${subject}${error.part} ${error.message}`, [source]);
    }
    sources.set(s.option, source);
  }
  const config = resolved as unknown as ResolvedConfig;
  if (sources.get('maxDelay')?.from === 'default') {
    config.maxDelay = defaultMaxDelay(config.gracePeriod, config.drainTimeout, config.hooksTimeout);
  }
  checkRelations(config, sources);
  return config;
}

/** What the default `maxDelay` leaves of the grace period for the kubelet's and the process's own overhead. */
export const MAX_DELAY_HEADROOM_MS = 2000;

/**
 * The default `maxDelay`: all the grace period leaves once stopping (`drainTimeout`) and the hooks
 * (`hooksTimeout`) have their budgets, less a 2 s headroom: 20 s with every default (a 30 s grace period). Draining
 * ends on evidence long before it in the usual case; `maxDelay` is the fallback for when no evidence comes, and then
 * waiting as long as the pod may is the safe choice (a load balancer may still route here). Setting the grace period
 * to the pod's `terminationGracePeriodSeconds` is enough to get a `maxDelay` that fits it.
 */
export function defaultMaxDelay(gracePeriod: number, drainTimeout: number, hooksTimeout: number): number {
  return Math.max(0, gracePeriod - drainTimeout - hooksTimeout - MAX_DELAY_HEADROOM_MS);
}

/** The option if given (also `null`), else the variable if set and not empty. */
function pick(
  options: Record<string, unknown>,
  env: Env,
  option: string,
  variable: string | null,
): { value: unknown; from: SetFrom } | null {
  let v: unknown = options;
  for (const part of option.split('.')) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[part];
  if (v !== undefined) return { value: v, from: 'option' };
  const raw = variable === null ? undefined : env[variable];
  return raw !== undefined && raw !== '' ? { value: raw, from: 'env' } : null;
}

/** A group option (`lbHealthCheck`, `paths`) is an object whose keys are rows of the table. */
function checkGroup(options: Record<string, unknown>, group: SettingGroup): void {
  const value = options[group];
  if (value === undefined) return;
  const source = (setting: string): ConfigSource[] => [{ setting, from: 'option', name: setting }];
  if (value === null || typeof value !== 'object') {
    throw new DraingateConfigError(group, `option ${group} must be an object, got ${describe(value)}.`, source(group));
  }
  const known = groupKeys(group);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const setting = `${group}.${key}`;
      throw new DraingateConfigError(setting, `unknown option ${setting}. Known: ${known.join(', ')}.`, source(setting));
    }
  }
}

/** Every `DRAINGATE_*` variable must be one of core's (service links aside): a typo must not pass silently. */
function checkVariables(env: Env): void {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('DRAINGATE_') || name in ENV_VARS || isServiceLink(name, env[name])) continue;
    const source: ConfigSource[] = [{ setting: name, from: 'env', name }];
    if (SIDECAR_ENV_VARS.includes(name)) {
      throw new DraingateConfigError(
        name,
        `${name} is a setting of the draingate-sidecar container, not of the app: set it in the sidecar container's env only (a ConfigMap shared through envFrom gives it to both).`,
        source,
      );
    }
    throw new DraingateConfigError(
      name,
      `unknown environment variable ${name}.${suggest(name)} Known: ${Object.keys(ENV_VARS).join(', ')}.`,
      source,
    );
  }
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

/** The plan in `GET /status`: the settings that decide when draining and stopping end, durations formatted. */
export interface DrainPlan {
  gracePeriod: string;
  minDelay: string;
  maxDelay: string;
  delay: string | null;
  quietPeriod: string;
  quietMinRequests: number;
  drainTimeout: string;
  hooksTimeout: string;
  lbUnhealthyThreshold: number;
  lbMargin: string;
  lbType: 'auto' | 'alb' | 'nlb';
}

/** Builds `StatusReport.plan` from a resolved configuration: the rows marked `plan`, durations as `"20s"`. */
export function planOf(config: ResolvedConfig): DrainPlan {
  const plan: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    if (!s.plan || s.key === null) continue;
    const value = valueAt(config, s.key);
    const isDuration = s.kind === 'duration' || s.kind === 'optional-duration';
    plan[s.key] = isDuration && typeof value === 'number' ? formatDuration(value) : value;
  }
  return plan as unknown as DrainPlan;
}

/**
 * The relations between settings (each setting's own range is its kind's and its row's business). Each side is
 * named by where its value came from: `DRAINGATE_MIN_DELAY (10s) is greater than DRAINGATE_MAX_DELAY (5s)`.
 */
function checkRelations(c: ResolvedConfig, sources: ReadonlyMap<OptionPath, ConfigSource>): void {
  const source = (o: OptionPath): ConfigSource => sources.get(o) as ConfigSource;
  const text = (o: OptionPath): string => formatDuration(valueAt(c, settingOf(o).key as ConfigKey) as number);
  const isDefault = (o: OptionPath): boolean => source(o).from === 'default';
  /** How a default came about: the default `maxDelay` follows the grace period. */
  const defaultOf = (o: OptionPath): string =>
    o === 'maxDelay' ? 'the default: gracePeriod − drainTimeout − hooksTimeout − 2s' : 'the default';
  /** `DRAINGATE_MIN_DELAY (10s)`, `minDelay (10s)`, `quietPeriod (2s, the default)`. */
  const named = (o: OptionPath): string => (isDefault(o) ? `${o} (${text(o)}, ${defaultOf(o)})` : `${source(o).name} (${text(o)})`);
  /** `DRAINGATE_MAX_DELAY 10s`, `maxDelay 10s`, `maxDelay 20s (default)`, for sums. */
  const inline = (o: OptionPath): string => (isDefault(o) ? `${o} ${text(o)} (default)` : `${source(o).name} ${text(o)}`);
  /** What to change: what the user set, or for a default the option and its variable. */
  const handle = (o: OptionPath): string => {
    const env = settingOf(o).env;
    return isDefault(o) && env !== null ? `${o} (${env})` : source(o).name;
  };
  const fail = (setting: OptionPath, involved: readonly OptionPath[], message: string): never => {
    throw new DraingateConfigError(setting, message, [setting, ...involved].map(source));
  };

  if (c.minDelay > c.maxDelay && isDefault('maxDelay')) {
    fail(
      'minDelay',
      ['maxDelay', 'gracePeriod', 'drainTimeout', 'hooksTimeout'],
      `${named('minDelay')} is greater than ${named('maxDelay')}: lower ${handle('minDelay')}, or raise ${handle('gracePeriod')} with the pod's terminationGracePeriodSeconds (${inline('gracePeriod')} − ${inline('drainTimeout')} − ${inline('hooksTimeout')} − 2s leaves ${text('maxDelay')}), or set ${handle('maxDelay')}.`,
    );
  }
  if (c.minDelay > c.maxDelay) {
    fail(
      'minDelay',
      ['maxDelay'],
      `${named('minDelay')} is greater than ${named('maxDelay')}: lower ${handle('minDelay')} or raise ${handle('maxDelay')}.`,
    );
  }
  if (c.delay !== null && (c.delay < c.minDelay || c.delay > c.maxDelay)) {
    const bounds: OptionPath[] = ['minDelay', 'maxDelay'];
    const defaults = bounds.filter(isDefault);
    const note =
      defaults.length === 0 ? '' : `; ${defaults.join(' and ')} ${defaults.length === 1 ? 'is the default' : 'are the defaults'}`;
    const names = bounds.map((o) => source(o).name).join(', ');
    fail('delay', bounds, `${named('delay')} must lie within [${names}] = [${text('minDelay')}, ${text('maxDelay')}]${note}.`);
  }
  // The default margin is not held against a short maxDelay: only a margin the user chose can be wrong.
  if (!isDefault('lbHealthCheck.margin') && c.lbMargin >= c.maxDelay) {
    fail(
      'lbHealthCheck.margin',
      ['maxDelay'],
      `${named('lbHealthCheck.margin')} is not shorter than ${named('maxDelay')}: LB health checks could never end draining. Use e.g. "1s".`,
    );
  }
  const pathValues = Object.values(c.paths);
  if (new Set(pathValues).size !== pathValues.length) {
    const paths = SETTINGS.filter((s) => s.option.startsWith('paths.')).map((s) => s.option);
    throw new DraingateConfigError('paths', `option paths must all differ, got ${JSON.stringify(c.paths)}.`, paths.map(source));
  }
  const terms: OptionPath[] = ['maxDelay', 'drainTimeout', 'hooksTimeout'];
  const budget = c.maxDelay + c.drainTimeout + c.hooksTimeout;
  if (budget >= c.gracePeriod) {
    const handles = terms.map(handle);
    fail(
      'gracePeriod',
      terms,
      `the shutdown budget does not fit the grace period: ${terms.map(inline).join(' + ')} = ${formatDuration(budget)}, which is not less than ${inline('gracePeriod')}. Lower ${handles.slice(0, -1).join(', ')} or ${handles.at(-1)}, or raise the pod's terminationGracePeriodSeconds and ${handle('gracePeriod')} to more than ${formatDuration(budget)}.`,
    );
  }
}
