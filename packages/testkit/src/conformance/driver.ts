// What the conformance suite runs against: a driver per server kind (core's node:http/https/http2 drivers live in
// core's tests, each framework package has its own), and the gate options every in-process test starts from.
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
