import type { EventEmitter } from 'node:events';
import type { StateChange } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { EmitFn, GateEvents } from './types.js';

/**
 * The gate's events as every room emits them: a throwing listener must not derail shutdown, so it is logged and
 * the caller goes on.
 */
export function guardedEmit(emitter: EventEmitter<GateEvents>, logger: Logger): EmitFn {
  return (event, ...args) => {
    try {
      (emitter.emit as (event: keyof GateEvents, ...args: GateEvents[typeof event]) => boolean)(event, ...args);
    } catch (error) {
      logger.error({ event, error: (error as Error)?.message ?? String(error) }, `a "${event}" listener threw`);
    }
  };
}

/** What each lifecycle transition tells the outside: a log line (`unready` as a warning) and the `state` event. */
export function announceTransition(logger: Logger, emit: EmitFn): (change: StateChange) => void {
  return (change) => {
    const level = change.to === 'unready' ? 'warn' : 'info';
    logger[level]({ from: change.from, to: change.to, reason: change.reason }, `state ${change.from} -> ${change.to}`);
    emit('state', change);
  };
}
