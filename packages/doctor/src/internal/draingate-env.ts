/**
 * What doctor needs to know about @draingate/core's configuration: its defaults, its environment variables and
 * its duration syntax. Mirrored from packages/core/src/internal/config.ts and duration.ts because this package
 * does not depend on @draingate/core; test/core-agreement.test.ts fails the build if the two ever disagree.
 */

/** Core's defaults, in milliseconds (core: `DEFAULTS`). */
export const CORE_DEFAULTS: {
  readonly gracePeriod: number;
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly drainTimeout: number;
  readonly hooksTimeout: number;
  readonly lbUnhealthyThreshold: number;
  readonly lbMargin: number;
} = Object.freeze({
  gracePeriod: 30_000,
  minDelay: 2_000,
  maxDelay: 20_000,
  drainTimeout: 5_000,
  hooksTimeout: 3_000,
  lbUnhealthyThreshold: 2,
  lbMargin: 1_000,
});

/** Every `DRAINGATE_*` variable core reads (core: `ENV_VARS`), with the kind of value it takes. */
export const CORE_ENV_VARS: Readonly<Record<string, 'duration' | 'integer' | 'string'>> = Object.freeze({
  DRAINGATE_GRACE_PERIOD: 'duration',
  DRAINGATE_MIN_DELAY: 'duration',
  DRAINGATE_MAX_DELAY: 'duration',
  DRAINGATE_DELAY: 'duration',
  DRAINGATE_DRAIN_TIMEOUT: 'duration',
  DRAINGATE_HOOKS_TIMEOUT: 'duration',
  DRAINGATE_QUIET_PERIOD: 'duration',
  DRAINGATE_QUIET_MIN_REQUESTS: 'integer',
  DRAINGATE_LB_UNHEALTHY_THRESHOLD: 'integer',
  DRAINGATE_LB_USER_AGENT: 'string',
  DRAINGATE_SIDECAR_URL: 'string',
  DRAINGATE_SIDECAR_POLL_INTERVAL: 'duration',
  DRAINGATE_MANAGEMENT_PORT: 'integer',
  DRAINGATE_MANAGEMENT_HOST: 'string',
});

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const MAX_DURATION_MS = 2 ** 31 - 1;

/** Core's duration syntax (`"500ms"`, `"10s"`, `"1m"`): milliseconds, or `undefined` where core would refuse it. */
export function parseCoreDuration(value: string): number | undefined {
  const match = DURATION_RE.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (!Number.isFinite(ms)) return undefined;
  const rounded = Math.round(ms);
  return rounded > MAX_DURATION_MS ? undefined : rounded;
}

/** Milliseconds for messages: `1500` → `1.5s`, `120000` → `2m` (as core formats them). */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms / 60_000}m`;
}
