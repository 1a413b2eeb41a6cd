import { conformance } from '@draingate/testkit/conformance';
import { nodeHttp, nodeHttp2, nodeHttps } from './helpers/servers.js';

conformance(nodeHttp);
conformance(nodeHttps);
conformance(nodeHttp2);
