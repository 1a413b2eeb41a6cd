import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, type Gate } from '@draingate/core';

export interface GatedApp {
  gate: Gate;
  /** The app's port on 127.0.0.1. */
  port: number;
  /** Releases the gate and closes the server. */
  close(): Promise<void>;
}

/**
 * The app of an end-to-end test: a real core gate (short delays, no signal handlers, no exit) on a node:http server
 * that answers `ok`, reading its draining evidence from `sidecarUrl` (a sidecar's `/v1/status`, or a controller's
 * per-pod URL) every 100 ms; listening on 127.0.0.1 and ready.
 */
export async function startGatedApp(sidecarUrl: string): Promise<GatedApp> {
  const gate = createGate({
    signals: false,
    exit: false,
    logger: false,
    metrics: false,
    minDelay: '200ms',
    maxDelay: '20s',
    gracePeriod: '60s',
    sidecarUrl,
    sidecarPollInterval: '100ms',
  });
  const server = http.createServer((_req, res) => res.end('ok'));
  gate.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await gate.ready();
  return {
    gate,
    port: (server.address() as AddressInfo).port,
    async close() {
      await gate.dispose();
      server.close();
    },
  };
}
