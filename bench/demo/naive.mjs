// The usual "graceful" shutdown, for comparison in the demo: on SIGTERM, server.close() and exit.
// It stops accepting at once and closes idle keep-alive connections while the load balancer still routes here.
import http from 'node:http';
import { plainApp } from './plain-app.mjs';

const port = Number(process.env.PORT ?? 3000);
const server = http.createServer(plainApp);
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ event: 'state', to: 'closing', at: Date.now() }));
  server.close(() => process.exit(0));
});
server.listen(port, () => console.log(JSON.stringify({ event: 'listening', port: server.address().port })));
