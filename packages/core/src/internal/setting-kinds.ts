/**
 * How each kind of setting is read and checked (the kinds of settings.ts). A parser throws a {@link Problem}
 * worded to follow the name of what the user set: `resolveConfig` puts that name in front (`DRAINGATE_MAX_DELAY`
 * or `option maxDelay`), so every message names the variable or the option the value came from.
 */
import { constants as osConstants } from 'node:os';
import { checkDuration, describe, formatDuration } from './duration.js';
import { createConsoleLogger, isLogger, silentLogger } from './logger.js';
import type { MetricsOptions, MetricsRegistry } from './options.js';
import type { Setting, SettingKind } from './settings.js';

/** Why a value is refused: the words after its name (`must be ...`), and which part of it (`[0]`, `.prefix`). */
export class Problem extends Error {
  readonly part: string;

  constructor(words: string, part = '') {
    super(words);
    this.part = part;
  }
}

/** Where a value came from: the options object in code, or a `DRAINGATE_*` variable (always a string). */
export type SetFrom = 'option' | 'env';

export interface Kind {
  /** What it accepts, as the README's options table says it. */
  accepts(s: Setting): string;
  /** The resolved value of a value someone set; throws a {@link Problem}. */
  parse(value: unknown, s: Setting, from: SetFrom): unknown;
  /** The resolved value when nobody set it. */
  unset(s: Setting): unknown;
}

/** `<SERVICE>_PORT=tcp://10.0.0.11:6379`: a Kubernetes service link, not a number. */
export const SERVICE_LINK_URL: RegExp = /^(tcp|udp|sctp):\/\//;

function example(s: Setting): string {
  return s.example ?? (typeof s.default === 'string' ? JSON.stringify(s.default) : String(s.default));
}

function duration(value: unknown, s: Setting): number {
  const ms = checkDuration(value);
  if (typeof ms === 'string') throw new Problem(ms);
  if (s.min !== undefined && ms < s.min) {
    const bound = s.min === 1 ? 'greater than 0' : `at least ${formatDuration(s.min)}`;
    throw new Problem(`must be ${bound}, got ${describe(value)}; e.g. ${example(s)}.`);
  }
  return ms;
}

function defaultDuration(s: Setting): number {
  const ms = checkDuration(s.default);
  if (typeof ms === 'string') throw new Error(`draingate: the default of ${s.option} ${ms}`);
  return ms;
}

function integer(value: unknown, s: Setting): number {
  const min = s.min ?? 0;
  const max = s.max ?? Number.MAX_SAFE_INTEGER;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    const link =
      typeof value === 'string' && SERVICE_LINK_URL.test(value)
        ? ` It looks like a Kubernetes service link: a Service named like this variable exists in the namespace; rename it or set enableServiceLinks: false in the pod spec.`
        : '';
    throw new Problem(`must be a whole number from ${min} to ${max}, got ${describe(value)}; e.g. ${example(s)}.${link}`);
  }
  return n;
}

function path(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('?')) {
    throw new Problem(`must be a path starting with "/", got ${describe(value)}.`);
  }
  return value;
}

function range(s: Setting): string {
  return `${s.min ?? 0}–${s.max}`;
}

const fallback = (s: Setting): unknown => s.default;

export const KINDS: Readonly<Record<SettingKind, Kind>> = {
  duration: {
    accepts: (s) => (s.min === undefined ? 'duration' : s.min === 1 ? 'duration > 0' : `duration ≥ ${formatDuration(s.min)}`),
    parse: (value, s) => duration(value, s),
    unset: defaultDuration,
  },
  'optional-duration': {
    accepts: () => 'duration',
    parse: (value, s) => (value === null ? null : duration(value, s)),
    unset: fallback,
  },
  integer: {
    accepts: (s) => `integer ${range(s)}`,
    parse: (value, s) => integer(value, s),
    unset: fallback,
  },
  port: {
    accepts: (s) => `integer ${range(s)}`,
    parse: (value, s, from) => {
      if (value === null) return null;
      // From code a port is a number: a string there is a mistake (e.g. process.env.PORT passed through).
      if (from === 'option' && typeof value !== 'number')
        throw new Problem(`must be a number, got ${describe(value)}; e.g. ${example(s)}.`);
      return integer(value, s);
    },
    unset: fallback,
  },
  url: {
    accepts: () => '`http://` URL',
    parse: (value, s) => {
      if (value === null) return null;
      let ok = false;
      if (typeof value === 'string') {
        try {
          const u = new URL(value);
          ok = u.protocol === 'http:' && u.search === '' && u.hash === '';
        } catch {
          ok = false;
        }
      }
      if (!ok) throw new Problem(`must be an http:// base URL without query, got ${describe(value)}; e.g. ${example(s)}.`);
      return (value as string).replace(/\/+$/, '');
    },
    unset: fallback,
  },
  host: {
    accepts: () => 'host name or address',
    parse: (value, s) => {
      if (value === null) return null;
      if (typeof value !== 'string' || value.trim() === '') throw new Problem(`must be a host name or address, e.g. ${example(s)}.`);
      return value;
    },
    unset: fallback,
  },
  'user-agent': {
    accepts: () => 'string or RegExp',
    parse: (value, s) => {
      // A global or sticky RegExp keeps lastIndex between test() calls and would match every other request.
      if (value instanceof RegExp) {
        return value.global || value.sticky ? new RegExp(value.source, value.flags.replace(/[gy]/g, '')) : value;
      }
      if (typeof value === 'string' && value.length > 0) {
        // A plain string matches as a prefix (e.g. "ELB-HealthChecker/"), case-sensitive like the header itself.
        return new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
      }
      throw new Problem(`must be a non-empty string or a RegExp, got ${describe(value)}; e.g. ${example(s)}.`);
    },
    unset: fallback,
  },
  path: { accepts: () => 'distinct path', parse: (value) => path(value), unset: fallback },
  paths: {
    accepts: () => 'array of paths',
    parse: (value) => {
      if (!Array.isArray(value) || value.length === 0) throw new Problem('must be a non-empty array of paths, e.g. ["/readyz"].');
      return value.map((p: unknown, i) => {
        try {
          return path(p);
        } catch (e) {
          throw e instanceof Problem ? new Problem(e.message, `[${i}]`) : e;
        }
      });
    },
    unset: fallback,
  },
  enum: {
    accepts: (s) => (s.values ?? []).map((v) => `\`${v}\``).join(', '),
    parse: (value, s) => {
      if (typeof value !== 'string' || !(s.values ?? []).includes(value)) {
        throw new Problem(`must be one of ${(s.values ?? []).join(', ')}, got ${describe(value)}.`);
      }
      return value;
    },
    unset: fallback,
  },
  boolean: {
    accepts: () => 'boolean',
    parse: (value) => {
      if (typeof value !== 'boolean') throw new Problem(`must be true or false, got ${describe(value)}.`);
      return value;
    },
    unset: fallback,
  },
  signals: {
    accepts: () => 'array of signal names or `false`',
    parse: (value) => {
      if (value === false) return [];
      const bad = Array.isArray(value)
        ? value.filter((s) => typeof s !== 'string' || !(s in osConstants.signals) || s === 'SIGKILL' || s === 'SIGSTOP')
        : [value];
      if (bad.length > 0) {
        throw new Problem(
          `must be an array of catchable signal names, e.g. ["SIGTERM", "SIGINT"], or false; not ${bad.map((b) => describe(b)).join(', ')}.`,
        );
      }
      return value;
    },
    unset: (s) => [...(s.default as readonly string[])], // a fresh array per gate, as before the table
  },
  logger: {
    accepts: () => 'logger or `false`',
    parse: (value) => {
      if (value === false) return silentLogger;
      if (isLogger(value)) return value;
      throw new Problem('must have debug, info, warn and error methods (pino-compatible), or be false.');
    },
    unset: () => createConsoleLogger(),
  },
  metrics: {
    accepts: () => '`true`, `false` or `{ registry, prefix }`',
    parse: (value): MetricsOptions | false => {
      if (value === false) return false;
      if (value === true) return {};
      if (value === null || typeof value !== 'object') {
        throw new Problem(`must be true, false or { registry, prefix }, got ${describe(value)}.`);
      }
      const m = value as Record<string, unknown>;
      if (m.registry !== undefined && typeof (m.registry as MetricsRegistry).registerMetric !== 'function') {
        throw new Problem('must be a prom-client Registry.', '.registry');
      }
      if (m.prefix !== undefined && (typeof m.prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.prefix))) {
        throw new Problem(`must be a valid Prometheus name prefix, e.g. "draingate_", got ${describe(m.prefix)}.`, '.prefix');
      }
      return m as MetricsOptions;
    },
    unset: () => 'auto',
  },
  env: {
    accepts: () => 'object',
    // As before the table: null, like undefined, means process.env.
    parse: (value) => value ?? process.env,
    unset: () => process.env,
  },
};
