// One per-pod draingate sidecar as a pod runs it: the package's startSidecar with the configuration from flags and
// environment, authenticated in-cluster from a service-account directory (DGBENCH_SA_DIR instead of
// /var/run/secrets/...: the only difference from `draingate-sidecar`).
import { createJsonLogger, resolveConfig, startSidecar } from '@draingate/sidecar';

const config = resolveConfig(process.argv.slice(2), process.env);
const s = await startSidecar({ config, logger: createJsonLogger('info'), serviceAccountDir: process.env.DGBENCH_SA_DIR, env: process.env });
process.on('SIGTERM', () => {
  s.startDraining('signal');
  void s
    .settled()
    .then(() => s.close())
    .then(() => process.exit(0));
});
