import { SidecarConfigError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const MAX_DURATION_MS = 2 ** 31 - 1;

/** Parses `"500ms"`, `"10s"`, `"1.5m"`, `"1h"` into milliseconds, or throws naming the setting. Bare numbers are rejected. */
export function parseDuration(value: string, setting: string, source: string): number {
  const m = DURATION_RE.exec(value.trim());
  const ms = m ? Math.round(Number(m[1]) * (UNITS[m[2] as string] as number)) : undefined;
  if (ms === undefined || !Number.isFinite(ms)) {
    const hint = /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? ' (a bare number has no unit)' : '';
    throw new SidecarConfigError(
      setting,
      `${source} has the invalid duration ${JSON.stringify(value)}${hint}: use e.g. "500ms", "10s" or "2m".`,
    );
  }
  if (ms > MAX_DURATION_MS)
    throw new SidecarConfigError(setting, `${source} is ${JSON.stringify(value)}, longer than timers allow (24 days).`);
  return ms;
}

/** `1500` → `"1.5s"`, `200` → `"200ms"`, `120000` → `"2m"`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms / 60_000}m`;
}
