// Express + @godaddy/terminus, set up as its README's "How to set Terminus up with Kubernetes?" says: a health
// check that fails (503) once SIGTERM arrived, `beforeShutdown` waiting 5 s so the readiness probes and load
// balancer notice, `useExit0`. Everything else is terminus' default (timeout 1 s once the server closes).
import { createTerminus } from '@godaddy/terminus';
import { expressApp, listen, log } from './app.mjs';

const server = listen(expressApp());
createTerminus(server, {
  healthChecks: { '/readyz': async () => ({ ready: true }) },
  beforeShutdown: () => {
    log('beforeShutdown');
    return new Promise((resolve) => setTimeout(resolve, 5000));
  },
  onSignal: async () => log('closing'),
  useExit0: true,
});
