#!/usr/bin/env node
import { cliStart, exitOnStartFailure, onStopSignals } from '@draingate/sidecar/internal';
import { resolveControllerConfig, usage } from './internal/config.js';
import { startController } from './internal/controller.js';
import { ControllerConfigError } from './internal/errors.js';

// draingate-controller: flags and environment (see --help); exit 2 on invalid configuration.
const { argv, log } = cliStart(usage);
try {
  const controller = await startController({ config: resolveControllerConfig(argv, process.env), logger: log });
  onStopSignals((signal) => {
    // A graceful stop hands the Lease back: a follower takes over at its next try, not after the lease duration.
    log.info(`${signal}: releasing the Lease and stopping`);
    return controller.close({ release: true });
  });
} catch (e) {
  exitOnStartFailure(e, ControllerConfigError, (message) => log.error(`draingate-controller failed to start: ${message}`));
}
