// The usual "graceful" shutdown, for comparison in the demo: on SIGTERM, server.close() and exit.
// It stops accepting at once and closes idle keep-alive connections while the load balancer still routes here.
import http from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const ms = url.pathname === '/work' ? Math.min(Number(url.searchParams.get('ms')) || 0, 60_000) : 0;
  const status = url.pathname === '/' || url.pathname === '/work' || url.pathname === '/readyz' ? 200 : 404;
  setTimeout(() => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { ok: true } : { error: 'not found' }));
  }, ms);
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ event: 'state', to: 'closing', at: Date.now() }));
  server.close(() => process.exit(0));
});
server.listen(port, () => console.log(JSON.stringify({ event: 'listening', port: server.address().port })));
