/**
 * What doctor needs from @draingate/core's configuration, taken from core itself (never mirrored): its defaults in
 * milliseconds, its duration syntax, and its verdict on a container's `DRAINGATE_*` environment.
 */
import { DEFAULTS, DraingateConfigError, ENV_VARS, parseDuration, resolveConfig } from '@draingate/core';

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
