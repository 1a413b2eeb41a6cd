// A Koa service behind a load balancer, made deploy-safe by @draingate/core: Koa's app.callback() runs on a
// node:http server, which the gate attaches like any other. Same routes, environment and output as
// examples/node-http: PORT, and DRAINGATE_* (see packages/core/README.md).
import http from 'node:http';
import { createGate, DraingateConfigError } from '@draingate/core';
import Koa from 'koa';

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

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method === 'GET' && ctx.path === '/') {
    ctx.body = { hello: 'world', pid: process.pid };
  } else if (ctx.method === 'GET' && ctx.path === '/work') {
    const ms = Math.min(Math.max(Number(ctx.query.ms) || 0, 0), 60_000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    ctx.body = { worked: ms };
  } else {
    ctx.status = 404;
    ctx.body = { error: 'not found' };
  }
});

gate.addShutdownHook('log', () => console.log(JSON.stringify({ event: 'hooks', at: Date.now() })));
gate.on('state', (change) => console.log(JSON.stringify({ event: 'state', ...change })));

const server = http.createServer(app.callback());
// Keep idle connections open longer than the ALB idle timeout (60 s), so the LB closes them, not us.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
gate.attach(server); // /livez, /readyz, in-flight tracking, Connection: close while draining; graceful stop

server.listen(port, process.env.HOST, () => {
  console.log(JSON.stringify({ event: 'listening', port: server.address().port, pid: process.pid }));
  gate.ready().catch(exitOnConfigError); // warm-up done: /readyz turns 200 (once the management port listens)
});
