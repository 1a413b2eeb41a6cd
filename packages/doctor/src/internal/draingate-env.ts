/**
 * What doctor needs from @draingate/core's configuration, taken from core itself (never mirrored): its defaults in
 * milliseconds, its duration syntax, its verdict on a container's `DRAINGATE_*` environment, and the app
 * container's settings read with them.
 */
import { DraingateConfigError } from '@draingate/core';
import { DEFAULTS, defaultMaxDelay, ENV_VARS, parseDuration, resolveConfig } from '@draingate/core/internal';
import { get } from './objects.js';
import { type ContainerInfo, envOf } from './pod.js';

/** Core's defaults (`DEFAULTS`), durations converted to milliseconds by core's own parser. */
export const CORE_DEFAULTS: {
  readonly gracePeriod: number;
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly drainTimeout: number;
  readonly hooksTimeout: number;
  readonly lbUnhealthyThreshold: number;
  readonly lbMargin: number;
} = Object.freeze({
  gracePeriod: parseDuration(DEFAULTS.gracePeriod, 'gracePeriod'),
  minDelay: parseDuration(DEFAULTS.minDelay, 'minDelay'),
  maxDelay: parseDuration(DEFAULTS.maxDelay, 'maxDelay'),
  drainTimeout: parseDuration(DEFAULTS.drainTimeout, 'drainTimeout'),
  hooksTimeout: parseDuration(DEFAULTS.hooksTimeout, 'hooksTimeout'),
  lbUnhealthyThreshold: DEFAULTS.lbUnhealthyThreshold,
  lbMargin: parseDuration(DEFAULTS.lbMargin, 'lbHealthCheck.margin'),
});

/** Core's duration syntax (`"500ms"`, `"10s"`, `"1m"`): milliseconds, or `undefined` where core refuses the value. */
export function tryCoreDuration(value: string): number | undefined {
  try {
    return parseDuration(value, 'duration');
  } catch (error) {
    if (error instanceof DraingateConfigError) return undefined;
    throw error;
  }
}

/** Core's verdict on an environment: the error its start-up would throw, and the variable that error is about. */
export interface CoreConfigRefusal {
  readonly error: DraingateConfigError;
  /** The `DRAINGATE_*` variable the error names (core's `error.setting` mapped back to its variable), if any. */
  readonly variable: string | null;
}

/**
 * Runs core's own `resolveConfig` on a container's literal environment (passed as its `env` option: `process.env`
 * is never read or changed) and returns the `DraingateConfigError` core would throw at start-up, or `null` when
 * core accepts it. Pure: no logger, no metrics, no signal handlers, no exit (resolveConfig only validates and
 * returns a plain object; these options only make sure nothing it builds could write anywhere).
 */
export function coreConfigRefusal(env: Readonly<Record<string, string>>): CoreConfigRefusal | null {
  try {
    resolveConfig({ env, logger: false, metrics: false, signals: false, exit: false });
    return null;
  } catch (error) {
    if (!(error instanceof DraingateConfigError)) throw error;
    const { setting } = error;
    // An unknown variable is named as itself; anything else by its option name (`maxDelay`).
    const variable = setting.startsWith('DRAINGATE_')
      ? setting
      : (Object.keys(ENV_VARS).find((name) => ENV_VARS[name] === setting) ?? null);
    return { error, variable };
  }
}

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

/**
 * The app's draingate settings, or `null` when the app does not use draingate: no `DRAINGATE_*` variable, no
 * `/readyz` readinessProbe and no `/prestop` preStop.
 */
export function draingateSettings(app: ContainerInfo | null): DraingateSettings | null {
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
  const gracePeriod = duration('DRAINGATE_GRACE_PERIOD', CORE_DEFAULTS.gracePeriod);
  const drainTimeout = duration('DRAINGATE_DRAIN_TIMEOUT', CORE_DEFAULTS.drainTimeout);
  const hooksTimeout = duration('DRAINGATE_HOOKS_TIMEOUT', CORE_DEFAULTS.hooksTimeout);
  return {
    explicit: names.length > 0,
    env: Object.fromEntries(names.map((n) => [n, env[n] as string])),
    gracePeriod,
    minDelay: duration('DRAINGATE_MIN_DELAY', CORE_DEFAULTS.minDelay),
    // Core's own default: what the grace period leaves (not DEFAULTS.maxDelay, which is for the default grace period).
    maxDelay: duration('DRAINGATE_MAX_DELAY', defaultMaxDelay(gracePeriod, drainTimeout, hooksTimeout)),
    drainTimeout,
    hooksTimeout,
    lbUnhealthyThreshold: threshold,
    sidecarUrl: env.DRAINGATE_SIDECAR_URL ?? null,
    unresolved: unresolved.filter((n) => n.startsWith('DRAINGATE_')),
  };
}
