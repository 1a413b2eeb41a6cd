export type { Gate, GateOptions, LifecycleState, ShutdownResult, StateChange } from '@draingate/core';
// The error a config problem throws, so that an app can catch it without importing @draingate/core itself.
export { DraingateConfigError } from '@draingate/core';
export type { DraingateFastifyOptions } from './internal/plugin.js';
export { draingate, draingate as default } from './internal/plugin.js';
