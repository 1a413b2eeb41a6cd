// The usual "graceful" shutdown: on SIGTERM, server.close() and exit once it has closed. Node >= 19 also closes
// idle keep-alive sockets in server.close(). Run with a kubelet preStop `sleep 5`, it is the fixed-delay peer.
import { expressApp, listen, log } from './app.mjs';

const server = listen(expressApp());
process.on('SIGTERM', () => {
  log('closing');
  server.close(() => process.exit(0));
});
