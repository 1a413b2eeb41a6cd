// One draingate-controller replica as the chart runs it: the package's startController with the configuration
// from flags and environment, authenticated in-cluster from a service-account directory (DGBENCH_SA_DIR, here
// instead of /var/run/secrets/...: the only difference from `draingate-controller`). Prints its URL as a JSON line.
import { resolveControllerConfig, startController } from '@draingate/controller';
import { createJsonLogger } from '@draingate/sidecar';

const log = createJsonLogger('info');
const config = resolveControllerConfig(process.argv.slice(2), process.env);
const c = await startController({ config, logger: log, serviceAccountDir: process.env.DGBENCH_SA_DIR, env: process.env });
process.stdout.write(`${JSON.stringify({ url: c.url, identity: config.identity })}\n`);
process.on('SIGTERM', () => void c.close({ release: true }).then(() => process.exit(0)));
