#!/usr/bin/env node
import { cliStart, exitOnStartFailure, onStopSignals } from './internal/cli-kit.js';
import { resolveConfig, usage } from './internal/config.js';
import { SidecarConfigError } from './internal/errors.js';
import { redact } from './internal/secrets.js';
import { startSidecar } from './internal/sidecar.js';

// draingate-sidecar: flags and environment (see --help); exit 2 on invalid configuration.
const { argv, log } = cliStart(usage);
try {
  const sidecar = await startSidecar({ config: resolveConfig(argv, process.env), logger: log });
  onStopSignals(
    (signal) => {
      // A native sidecar gets SIGTERM after the app containers stopped: finish any preStop wait, then exit 0.
      log.info(`${signal}: finishing the current drain wait, then exiting`);
      sidecar.startDraining('signal');
      return sidecar.settled().then(() => sidecar.close());
    },
    (signal) => log.warn(`second ${signal}: exiting now`),
  );
} catch (e) {
  exitOnStartFailure(e, SidecarConfigError, (message) => log.error(`draingate-sidecar failed to start: ${redact(message)}`));
}
