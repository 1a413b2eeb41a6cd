// Express + http-terminator (gajus/http-terminator, defaults): on SIGTERM, terminate() — stop accepting,
// close idle sockets, Connection: close on in-flight responses, destroy what is left after 5 s — then exit.
import { createHttpTerminator } from 'http-terminator';
import { expressApp, listen, log } from './app.mjs';

const server = listen(expressApp());
const terminator = createHttpTerminator({ server });
process.on('SIGTERM', () => {
  log('terminating');
  void terminator.terminate().then(() => process.exit(0));
});
