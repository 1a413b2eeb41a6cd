// An Express service behind a load balancer, made deploy-safe by @draingate/express. Same routes, environment
// and output as examples/node-http: PORT, and DRAINGATE_* (see packages/core/README.md).

import { DraingateConfigError, draingate } from '@draingate/express';
import express from 'express';

// A DRAINGATE_* setting that is invalid, or that this machine cannot honour (a management port another process
// holds): print draingate's one line, which names the variable, and exit 2. draingate throws; the app owns the exit.
function exitOnConfigError(error) {
  if (!(error instanceof DraingateConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const port = Number(process.env.PORT ?? 3000);
let dg;
try {
  dg = draingate(); // reads DRAINGATE_GRACE_PERIOD, DRAINGATE_MAX_DELAY, DRAINGATE_MANAGEMENT_PORT, ...
} catch (error) {
  exitOnConfigError(error);
}

const app = express();
app.get('/', (_req, res) => {
  res.json({ hello: 'world', pid: process.pid });
});
app.get('/work', (req, res) => {
  const ms = Math.min(Math.max(Number(req.query.ms) || 0, 0), 60_000);
  setTimeout(() => res.json({ worked: ms }), ms);
});
app.use((_req, res) => {
  res.status(404).json({ error: 'not found' });
});

dg.gate.addShutdownHook('log', () => console.log(JSON.stringify({ event: 'hooks', at: Date.now() })));
dg.gate.on('state', (change) => console.log(JSON.stringify({ event: 'state', ...change })));

const server = app.listen(port, (error) => {
  if (error) throw error; // Express 5 hands listen errors (EADDRINUSE, ...) to this callback
  console.log(JSON.stringify({ event: 'listening', port: server.address().port, pid: process.pid }));
  dg.gate.ready().catch(exitOnConfigError); // warm-up done: /readyz turns 200 (once the management port listens)
});
// Keep idle connections open longer than the ALB idle timeout (60 s), so the LB closes them, not us.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
dg.attach(server); // /livez, /readyz, in-flight tracking, Connection: close while draining; graceful stop
