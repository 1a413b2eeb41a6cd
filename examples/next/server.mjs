// A Next.js app behind a load balancer, made deploy-safe by @draingate/next: the custom server that serves it on
// a node:http server attached to the gate. Same routes (GET /, a page; GET /work?ms=N), environment and output as
// examples/node-http: PORT, and DRAINGATE_* (see packages/core/README.md). Build first: `node build.mjs`.
import { DraingateConfigError, startNext } from '@draingate/next';

// A DRAINGATE_* setting that is invalid, or that this machine cannot honour (a management port another process
// holds): print draingate's one line, which names the variable, and exit 2. draingate throws; the app owns the exit.
function exitOnConfigError(error) {
  if (!(error instanceof DraingateConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

let started;
try {
  // PORT from the environment (default 3000); DRAINGATE_GRACE_PERIOD, DRAINGATE_MAX_DELAY, ... for the gate.
  started = await startNext({ dir: import.meta.dirname, hostname: process.env.HOST, ready: false });
} catch (error) {
  exitOnConfigError(error);
}
const { gate, port } = started;
gate.addShutdownHook('log', () => console.log(JSON.stringify({ event: 'hooks', at: Date.now() })));
gate.on('state', (change) => console.log(JSON.stringify({ event: 'state', ...change })));
console.log(JSON.stringify({ event: 'listening', port, pid: process.pid }));
gate.ready().catch(exitOnConfigError); // Next is prepared and listening: /readyz turns 200 (once the management port listens)
