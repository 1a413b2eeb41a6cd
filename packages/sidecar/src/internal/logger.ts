/** The sidecar's logger: one JSON object per line (level, time, msg, fields). */
export interface Logger {
  debug(message: string, fields?: object): void;
  info(message: string, fields?: object): void;
  warn(message: string, fields?: object): void;
  error(message: string, fields?: object): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Writes JSON lines to `out` (default stderr), `minLevel` and above. */
export function createJsonLogger(minLevel: Level = 'info', out: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const write = (level: Level) => (message: string, fields?: object) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    out(`${JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...fields })}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
