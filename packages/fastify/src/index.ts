export type { Gate, GateOptions, LifecycleState, ShutdownResult, StateChange } from '@draingate/core';
export type { DraingateFastifyOptions } from './internal/plugin.js';
export { draingate, draingate as default } from './internal/plugin.js';
