// Express with no shutdown handling at all: SIGTERM ends the process at once (Node's default).
import { expressApp, listen } from './app.mjs';

listen(expressApp());
