// A Fastify service behind a load balancer, made deploy-safe by @draingate/fastify.
// Same routes and environment as examples/node-http: PORT, GET /, GET /work?ms=N, DRAINGATE_*.

import { DraingateConfigError, draingate } from '@draingate/fastify';
import Fastify from 'fastify';

// A DRAINGATE_* setting that is invalid, or that this machine cannot honour (a management port another process
// holds): print draingate's one line, which names the variable, and exit 2. draingate throws; the app owns the exit.
function exitOnConfigError(error) {
  if (!(error instanceof DraingateConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const port = Number(process.env.PORT ?? 3000);
// Keep idle connections open longer than the ALB idle timeout (60 s), so the LB closes them, not us.
const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' }, keepAliveTimeout: 65_000 });

try {
  await app.register(draingate); // first: its hook answers probes and tracks every request; DRAINGATE_* from env
} catch (error) {
  exitOnConfigError(error);
}

app.get('/', async () => ({ hello: 'world', pid: process.pid }));
app.get('/work', async (request) => {
  const ms = Math.min(Math.max(Number(request.query.ms) || 0, 0), 60_000);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { worked: ms };
});

// Runs once the gate has drained and stopped the server (SIGTERM), or from app.close().
app.addHook('onClose', async () => console.log(JSON.stringify({ event: 'onClose', at: Date.now() })));
app.draingate.on('state', (change) => console.log(JSON.stringify({ event: 'state', ...change })));

await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' });
console.log(JSON.stringify({ event: 'listening', port: app.server.address().port, pid: process.pid }));
await app.draingate.ready(); // warm-up done: /readyz turns 200
