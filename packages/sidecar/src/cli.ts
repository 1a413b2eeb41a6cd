#!/usr/bin/env node
import { resolveConfig, usage } from './internal/config.js';
import { SidecarConfigError } from './internal/errors.js';
import { createJsonLogger } from './internal/logger.js';
import { redact } from './internal/secrets.js';
import { startSidecar } from './internal/sidecar.js';

// draingate-sidecar: flags and environment (see --help); exit 2 on invalid configuration.
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(usage());
  process.exit(0);
}

const log = createJsonLogger(process.env.DRAINGATE_LOG_LEVEL === 'debug' ? 'debug' : 'info');
let config: ReturnType<typeof resolveConfig>;
try {
  config = resolveConfig(argv, process.env);
} catch (e) {
  if (e instanceof SidecarConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  throw e;
}

try {
  const sidecar = await startSidecar({ config, logger: log });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      log.warn(`second ${signal}: exiting now`);
      process.exit(1);
    }
    // A native sidecar gets SIGTERM after the app containers stopped: finish any preStop wait, then exit 0.
    log.info(`${signal}: finishing the current drain wait, then exiting`);
    sidecar.startDraining('signal');
    void sidecar
      .settled()
      .then(() => sidecar.close())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (e) {
  if (e instanceof SidecarConfigError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  log.error(`draingate-sidecar failed to start: ${redact((e as Error)?.message ?? String(e))}`);
  process.exit(1);
}
