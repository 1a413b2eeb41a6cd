import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { Shutdown } from './shutdown.js';
import type { EmitFn } from './types.js';

/** Gates in this process that installed signal handlers (one is the sane number). */
let gatesHandlingSignals = 0;

export interface SignalActions {
  /** The first signal starts shutdown (the signal is its trigger). */
  shutdown: Pick<Shutdown, 'start'>;
  /** A second signal emits `forced` before it forces the exit (with `exit`). */
  emit: EmitFn;
  /** The state, for the second signal's log line. */
  lifecycle: Pick<Lifecycle, 'state'>;
}

/**
 * A gate's process signal listeners: installed when it is created, removed once it has stopped or is disposed.
 * The first signal starts shutdown; a second one forces the exit at once (exit code 1, with `exit`).
 */
export class SignalListeners {
  readonly #handlers = new Map<NodeJS.Signals, () => void>();
  #received = 0;

  constructor(config: { signals: readonly NodeJS.Signals[]; logger: Logger; exit: boolean }, actions: SignalActions) {
    const { signals, logger } = config;
    const onSignal = (signal: NodeJS.Signals): void => {
      this.#received++;
      if (this.#received > 1) {
        logger.error({ signal, state: actions.lifecycle.state }, `second ${signal}: forcing exit now`);
        actions.emit('forced', { signal });
        if (config.exit) process.exit(1);
        return;
      }
      logger.info({ signal }, `${signal} received`);
      void actions.shutdown.start(signal);
    };
    if (signals.length > 0) {
      if (gatesHandlingSignals > 0) {
        logger.warn({ signals }, 'another gate already handles these signals: use one gate per process (attach every server to it)');
      }
      gatesHandlingSignals++;
    }
    for (const signal of signals) {
      const handler = () => onSignal(signal);
      this.#handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  remove(): void {
    if (this.#handlers.size > 0) gatesHandlingSignals--;
    for (const [signal, handler] of this.#handlers) process.removeListener(signal, handler);
    this.#handlers.clear();
  }
}
