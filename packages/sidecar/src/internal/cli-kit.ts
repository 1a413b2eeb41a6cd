import { createJsonLogger, type Logger } from './logger.js';

// What both binaries (draingate-sidecar, draingate-controller) do around their own start and stop: `--help`, the
// JSON logger, the exit codes of a failed start, and the stop signals.

/** `--help`/`-h` prints `usage()` and exits 0; else the arguments and the JSON logger (`DRAINGATE_LOG_LEVEL=debug`). */
export function cliStart(usage: () => string): { argv: string[]; log: Logger } {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    process.exit(0);
  }
  return { argv, log: createJsonLogger(process.env.DRAINGATE_LOG_LEVEL === 'debug' ? 'debug' : 'info') };
}

/**
 * A start that threw: invalid configuration (an instance of `configError`) is its message alone on stderr and exit 2;
 * anything else is `report(message)` (one log line) and exit 1.
 */
export function exitOnStartFailure(
  error: unknown,
  configError: abstract new (...args: never[]) => Error,
  report: (message: string) => void,
): never {
  if (error instanceof configError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  report((error as Error)?.message ?? String(error));
  process.exit(1);
}

/**
 * SIGTERM and SIGINT: the first runs `stop` and exits 0 once it resolves; a second one exits 1 at once (after
 * `onSecond`, e.g. a log line).
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => Promise<unknown>, onSecond?: (signal: NodeJS.Signals) => void): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      onSecond?.(signal);
      process.exit(1);
    }
    void stop(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
