import type { Logger } from './logger.js';

/** Gates in this process that installed signal handlers (one is the sane number). */
let gatesHandlingSignals = 0;

/** A gate's process signal listeners: installed when it is created, removed once it has stopped or is disposed. */
export class SignalListeners {
  readonly #handlers = new Map<NodeJS.Signals, () => void>();

  constructor(signals: readonly NodeJS.Signals[], logger: Logger, onSignal: (signal: NodeJS.Signals) => void) {
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
