import { conformance } from './conformance/suite.js';
import { nodeHttp, nodeHttp2, nodeHttps } from './helpers/servers.js';

conformance(nodeHttp);
conformance(nodeHttps);
conformance(nodeHttp2);
