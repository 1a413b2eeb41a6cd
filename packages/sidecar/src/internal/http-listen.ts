import { once } from 'node:events';
import type { Server } from 'node:http';

/**
 * Listens on `host:port` (0: a free port) and returns the server's URL, `http://<host>:<port>` (an IPv6 host in
 * brackets). `shownHost` is the host the URL names, when it is not the one listened on (e.g. loopback for a
 * wildcard address). Both HTTP APIs (the sidecar's, the controller's) listen through it.
 */
export async function listenHttp(server: Server, port: number, host: string, shownHost: string = host): Promise<string> {
  server.listen(port, host);
  await once(server, 'listening');
  const a = server.address();
  const bound = typeof a === 'object' && a ? a.port : port;
  return `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${bound}`;
}

/** Stops listening and cuts the connections still open; resolves once the server closed. */
export function closeHttp(server: Server): Promise<void> {
  return new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}
