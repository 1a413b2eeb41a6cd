// Express + lightship (gajus/lightship) with its defaults in Kubernetes mode (the kubelet emulation sets
// KUBERNETES_SERVICE_HOST, as Kubernetes does in every pod): its own probe server on LIGHTSHIP_PORT (/live,
// /ready), shutdownDelay 5 s after SIGTERM with /ready failing, then the registered handler closes the server,
// as its README's Express example does.
import { createLightship } from 'lightship';
import { expressApp, listen } from './app.mjs';

const lightship = await createLightship();
const server = listen(expressApp(), () => lightship.signalReady());
lightship.registerShutdownHandler(() => {
  server.close();
});
