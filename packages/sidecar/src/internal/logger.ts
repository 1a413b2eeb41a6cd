/**
 * One log call in pino's order, the shape every draingate package uses: `log.info(fields, message)` or
 * `log.info(message)`. core's `Logger` is the `(fields, message)` half of it, so a sidecar logger (or pino) also
 * fits core, and a pino logger fits here.
 */
export interface LogFn {
  (message: string): void;
  (fields: object, message?: string): void;
}

/** The sidecar's logger: pino, or {@link createJsonLogger} (one JSON object per line: level, time, msg, fields). */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Writes JSON lines to `out` (default stderr), `minLevel` and above. */
export function createJsonLogger(minLevel: Level = 'info', out: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const write =
    (level: Level): LogFn =>
    (fieldsOrMessage: object | string, message?: string): void => {
      if (ORDER[level] < ORDER[minLevel]) return;
      const [msg, fields] = typeof fieldsOrMessage === 'string' ? [fieldsOrMessage, undefined] : [message, fieldsOrMessage];
      out(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
