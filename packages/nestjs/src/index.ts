export type { AnyServer, Gate, GateOptions, LifecycleState, ShutdownResult, StateChange } from '@draingate/core';
// The error a config problem throws, so that an app can catch it without importing @draingate/core itself.
export { DraingateConfigError } from '@draingate/core';
export type { DraingateHealthDetails, DraingateHealthResult } from './internal/health.js';
export { DraingateHealthIndicator } from './internal/health.js';
export type { DraingateModuleAsyncOptions, DraingateModuleOptions } from './internal/module.js';
export { DRAINGATE_OPTIONS, DraingateModule } from './internal/module.js';
export { DraingateService } from './internal/service.js';
