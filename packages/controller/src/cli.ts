#!/usr/bin/env node
import { createJsonLogger } from '@draingate/sidecar';
import { resolveControllerConfig, usage } from './internal/config.js';
import { startController } from './internal/controller.js';
import { ControllerConfigError } from './internal/errors.js';

// draingate-controller: flags and environment (see --help); exit 2 on invalid configuration.
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(usage());
  process.exit(0);
}

const log = createJsonLogger(process.env.DRAINGATE_LOG_LEVEL === 'debug' ? 'debug' : 'info');
try {
  const controller = await startController({ config: resolveControllerConfig(argv, process.env), logger: log });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) process.exit(1);
    // A graceful stop hands the Lease back: a follower takes over at its next try, not after the lease duration.
    log.info(`${signal}: releasing the Lease and stopping`);
    void controller.close({ release: true }).then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (e) {
  if (e instanceof ControllerConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  log.error(`draingate-controller failed to start: ${(e as Error).message}`);
  process.exit(1);
}
