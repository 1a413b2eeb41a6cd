import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ConformanceDriver, Started, StartOptions } from '@draingate/testkit/conformance';
import { acceptUpgrades, releaseGate, TEST_OPTIONS } from '@draingate/testkit/conformance';
import { testTls } from '@draingate/testkit/http';
import { createGate, type GateOptions } from '../../src/index.js';

/** The example app's two routes (`GET /`, `GET /work?ms=N`), plus 404. */
export function appHandler(
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, body: unknown) => {
    (res as http.ServerResponse).writeHead(status, { 'content-type': 'application/json' });
    (res as http.ServerResponse).end(JSON.stringify(body));
  };
  if (url.pathname === '/') send(200, { hello: 'world' });
  else if (url.pathname === '/work') {
    const ms = Number(url.searchParams.get('ms') ?? 0);
    const timer = setTimeout(() => send(200, { worked: ms }), ms);
    res.once('close', () => clearTimeout(timer));
  } else send(404, { error: 'not found' });
}

function listen(server: http.Server | https.Server | http2.Http2SecureServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function startNode(
  make: () => http.Server | https.Server | http2.Http2SecureServer,
  options: GateOptions,
  start: StartOptions = {},
): Promise<Started> {
  const gate = createGate({ ...TEST_OPTIONS, ...options });
  const server = make();
  if (start.upgrades) acceptUpgrades(server);
  gate.attach(server);
  const port = await listen(server);
  if (start.ready !== false) await gate.ready();
  return { gate, port, cleanup: () => releaseGate(gate, server as http.Server) };
}

export const nodeHttp: ConformanceDriver = {
  name: 'node:http',
  protocol: 'http1',
  supportsUpgrade: true,
  start: (options, start) => startNode(() => http.createServer(appHandler), options, start),
};

export const nodeHttps: ConformanceDriver = {
  name: 'node:https',
  protocol: 'https',
  supportsUpgrade: true,
  start: (options, start) => startNode(() => https.createServer(testTls(), appHandler), options, start),
};

export const nodeHttp2: ConformanceDriver = {
  name: 'node:http2',
  protocol: 'h2',
  supportsUpgrade: false,
  start: (options, start) => startNode(() => http2.createSecureServer(testTls(), appHandler), options, start),
};
