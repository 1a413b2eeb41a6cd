/**
 * A pino-compatible logger: pino, Fastify's `app.log`, bunyan-style and console-like objects all fit.
 * draingate always calls `logger.level(fields, message)`.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The default logger: one line per event on stderr, `info` and above. */
export function createConsoleLogger(minLevel: Level = 'info'): Logger {
  const write = (level: Level) => (fields: object, message?: string) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    process.stderr.write(`[draingate] ${level} ${message ?? ''}${extra}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Checks that a user-supplied logger has the four methods, so a typo fails at start-up, not mid-shutdown. */
export function isLogger(value: unknown): value is Logger {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return ['debug', 'info', 'warn', 'error'].every((k) => typeof v[k] === 'function');
}
