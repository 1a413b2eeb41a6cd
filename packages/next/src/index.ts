export type { AnyServer, Gate, GateOptions, ShutdownResult, StateChange } from '@draingate/core';
// The error a config problem throws, so that an app can catch it without importing @draingate/core itself.
export { DraingateConfigError } from '@draingate/core';
export type { DraingateNext, DraingateNextOptions, NextApp } from './internal/start.js';
export { startNext } from './internal/start.js';
