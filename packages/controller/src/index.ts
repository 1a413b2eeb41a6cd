// Public API: a list of re-exports only. Configure and start a controller replica, read a pod's status.
export type { ControllerConfig, ControllerSettingSpec } from './internal/config.js';
export { CONTROLLER_SETTINGS, DEFAULT_ALLOW, resolveControllerConfig, usage } from './internal/config.js';
export type { Controller, StartControllerOptions } from './internal/controller.js';
export { startController } from './internal/controller.js';
export { ControllerConfigError } from './internal/errors.js';
export type { ControllerStatusBody, Freshness } from './internal/pods.js';
export { DEREGISTRATION_CONDITION } from './internal/record.js';
