// Fastify + close-with-grace (mcollina/close-with-grace) with its defaults, as its README shows: on SIGTERM
// run app.close() (Fastify answers 503 on kept-alive connections while closing and closes idle ones), exit
// when done or after 10 s.
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import { log, port } from './app.mjs';

const app = Fastify({ keepAliveTimeout: 65_000 });
app.get('/', async () => ({ hello: 'world', pid: process.pid }));
app.get('/work', async (request) => {
  const ms = Math.min(Math.max(Number(request.query.ms) || 0, 0), 60_000);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { worked: ms };
});
closeWithGrace(async ({ signal, err }) => {
  log('closing', { signal, error: err?.message });
  await app.close();
});
await app.listen({ port, host: '127.0.0.1' });
console.log(JSON.stringify({ event: 'listening', port: app.server.address().port, pid: process.pid }));
