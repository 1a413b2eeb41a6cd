// What the conformance suite runs against: a driver per server kind (core's node:http/https/http2 drivers live in
// core's tests, each framework package has its own), and the gate options every in-process test starts from.
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Gate, GateOptions } from '@draingate/core';
import type { Protocol } from '../http/client.js';

/** Gate options for in-process tests: short delays, no signal handlers, no exit, environment ignored. */
export const TEST_OPTIONS: GateOptions = {
  gracePeriod: '20s',
  minDelay: '100ms',
  maxDelay: '1s',
  drainTimeout: '2s',
  hooksTimeout: '1s',
  signals: false,
  exit: false,
  logger: false,
  metrics: false,
  env: {},
};

export interface Started {
  gate: Gate;
  port: number;
  /** Releases everything, whatever state the gate is in. */
  cleanup(): Promise<void>;
}

export interface StartOptions {
  /** Call `gate.ready()` once listening. Default true. */
  ready?: boolean;
  /** Accept `Upgrade` requests and keep the raw socket open (a stand-in for a WebSocket server). */
  upgrades?: boolean;
}

/** A server kind the lifecycle conformance suite runs against. Framework packages provide their own. */
export interface ConformanceDriver {
  name: string;
  protocol: Protocol;
  supportsUpgrade: boolean;
  start(options: GateOptions, start?: StartOptions): Promise<Started>;
}

/**
 * `StartOptions.upgrades`: a stand-in for a WebSocket server on `server` (none of the server kinds handles upgrades
 * itself): each upgrade is answered 101 and its socket kept open.
 */
export function acceptUpgrades(server: EventEmitter): void {
  server.on('upgrade', (_req: unknown, socket: Duplex) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', () => {});
  });
}

/** What a driver's app adds to {@link releaseGate}. */
export interface ReleaseOptions {
  /** Ends a gate that is shutting down or stopped (default `gate.shutdown()`, which is idempotent). */
  shutdown?: () => Promise<unknown>;
  /** After the server closed, for a gate the test did not shut down (e.g. the framework's own close). */
  afterClose?: () => Promise<unknown>;
}

/**
 * A driver's `Started.cleanup`, whatever state the gate is in: a gate the test did not shut down is disposed and its
 * server closed with every connection (there is no drain to wait for); one shutting down or stopped is waited for
 * and disposed.
 */
export async function releaseGate(
  gate: Gate,
  server: { close(callback: () => void): unknown; closeAllConnections?: () => void },
  options: ReleaseOptions = {},
): Promise<void> {
  if (gate.state === 'starting' || gate.state === 'ready' || gate.state === 'unready') {
    await gate.dispose();
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections?.();
    });
    await options.afterClose?.();
  } else {
    await (options.shutdown ? options.shutdown() : gate.shutdown());
    await gate.dispose();
  }
}
