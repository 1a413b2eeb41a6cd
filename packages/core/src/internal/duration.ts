import { DraingateConfigError } from './errors.js';

/** A duration with a unit: `"500ms"`, `"10s"`, `"1.5m"`, `"1h"`. Bare numbers are rejected (seconds or ms?). */
export type Duration = `${number}${'ms' | 's' | 'm' | 'h'}`;

/** setTimeout fires at once for anything above 2^31-1 ms. */
const MAX_DURATION_MS = 2 ** 31 - 1;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

/**
 * Parses a duration string into milliseconds. Returns `undefined` for anything that is not
 * `<non-negative number><ms|s|m|h>`, including bare numbers, negative values and empty strings.
 */
export function tryParseDuration(value: string): number | undefined {
  const match = DURATION_RE.exec(value.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  const ms = Number(amount) * (UNITS[unit as string] as number);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/**
 * Parses a duration (`"500ms"`, `"10s"`, `"1m"`) into milliseconds, or throws a
 * {@link DraingateConfigError} that names the setting and gives an example.
 */
export function parseDuration(value: unknown, setting: string, source: string = setting): number {
  const ms = checkDuration(value);
  if (typeof ms === 'string') throw new DraingateConfigError(setting, `${source} ${ms}`);
  return ms;
}

/**
 * Milliseconds, or why the value is not a duration, worded to follow the name of what the user set
 * (`DRAINGATE_MAX_DELAY has the invalid duration "20" ...`).
 */
export function checkDuration(value: unknown): number | string {
  const example = '"500ms", "10s" or "1m"';
  if (typeof value === 'number') return `is the bare number ${value}: durations need a unit, e.g. ${example}.`;
  if (typeof value !== 'string') return `must be a duration string such as ${example}, got ${describe(value)}.`;
  const ms = tryParseDuration(value);
  if (ms !== undefined && ms > MAX_DURATION_MS) {
    return `is ${JSON.stringify(value)}, longer than timers allow (24 days): use a shorter duration.`;
  }
  if (ms === undefined) {
    const hint = /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? ' (a bare number has no unit)' : '';
    return `has the invalid duration ${JSON.stringify(value)}${hint}: use a non-negative number with a unit, e.g. ${example}.`;
  }
  return ms;
}

/** Formats milliseconds for messages: `1500` → `"1.5s"`, `200` → `"200ms"`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms / 60_000}m`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}
