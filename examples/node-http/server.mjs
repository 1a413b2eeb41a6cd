// A plain node:http service behind a load balancer, made deploy-safe by @draingate/core.
// Configuration comes from the environment: PORT, and DRAINGATE_* (see packages/core/README.md).
import http from 'node:http';
import { createGate, DraingateConfigError } from '@draingate/core';

// A DRAINGATE_* setting that is invalid, or that this machine cannot honour (a management port another process
// holds): print draingate's one line, which names the variable, and exit 2. draingate throws; the app owns the exit.
function exitOnConfigError(error) {
  if (!(error instanceof DraingateConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const port = Number(process.env.PORT ?? 3000);
let gate;
try {
  gate = createGate(); // reads DRAINGATE_GRACE_PERIOD, DRAINGATE_MAX_DELAY, DRAINGATE_MANAGEMENT_PORT, ...
} catch (error) {
  exitOnConfigError(error);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hello: 'world', pid: process.pid }));
  } else if (url.pathname === '/work') {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 60_000);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ worked: ms }));
    }, ms);
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  }
});

// Keep idle connections open longer than the ALB idle timeout (60 s), so the LB closes them, not us.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

gate.attach(server);
gate.addShutdownHook('log', () => console.log(JSON.stringify({ event: 'hooks', at: Date.now() })));
gate.on('state', (change) => console.log(JSON.stringify({ event: 'state', ...change })));

server.listen(port, () => {
  console.log(JSON.stringify({ event: 'listening', port: server.address().port, pid: process.pid }));
  gate.ready().catch(exitOnConfigError); // warm-up done: /readyz turns 200 (once the management port listens)
});
