// The common fix, for comparison in the demo: what `preStop: sleep 5` + server.close() amounts to. On SIGTERM
// it keeps serving for a fixed 5 s (whether or not the load balancer is still sending), then closes and exits.
import http from 'node:http';
import { plainApp } from './plain-app.mjs';

const port = Number(process.env.PORT ?? 3000);
const sleepMs = Number(process.env.SLEEP_MS ?? 5000);
const server = http.createServer(plainApp);
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ event: 'state', to: 'sleeping', at: Date.now() }));
  setTimeout(() => {
    console.log(JSON.stringify({ event: 'state', to: 'closing', at: Date.now() }));
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  }, sleepMs);
});
server.listen(port, () => console.log(JSON.stringify({ event: 'listening', port: server.address().port })));
