export type { AnyServer, Gate, GateOptions, ShutdownResult, StateChange } from '@draingate/core';
export type { DraingateExpressOptions, DraingateMiddleware } from './internal/middleware.js';
export { draingate } from './internal/middleware.js';
