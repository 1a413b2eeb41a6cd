import { parseDuration } from './duration.js';
import type { Lifecycle } from './lifecycle.js';
import type { CheckOptions, ReadinessCheckFn, ReadinessResult } from './types.js';
import { withTimeout } from './util.js';

interface Check {
  name: string;
  fn: ReadinessCheckFn;
  timeout: number;
}

/** The readiness checks: registered by the app, run on every `/readyz`, moving the gate between `ready` and `unready`. */
export class Readiness {
  readonly #lifecycle: Lifecycle;
  readonly #checks: Check[] = [];
  #last: ReadinessResult[] = [];
  #running: Promise<ReadinessResult[]> | null = null;

  constructor(lifecycle: Lifecycle) {
    this.#lifecycle = lifecycle;
  }

  /** The results of the last completed run (shown on `/status`). */
  get last(): ReadinessResult[] {
    return this.#last;
  }

  /** The app is warmed up (`ready()`): `starting` → `ready`. No effect in any other state (checks or shutdown decide then). */
  warmedUp(): void {
    if (this.#lifecycle.state === 'starting') this.#lifecycle.transition('ready', 'ready()');
  }

  add(name: string, fn: ReadinessCheckFn, options: CheckOptions = {}): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('draingate: addReadinessCheck(name, fn) needs a non-empty name.');
    if (typeof fn !== 'function') throw new TypeError(`draingate: readiness check "${name}" needs a function.`);
    if (this.#checks.some((c) => c.name === name)) throw new Error(`draingate: a readiness check named "${name}" already exists.`);
    const timeout = parseDuration(options.timeout ?? '500ms', 'timeout', `readiness check "${name}" timeout`);
    this.#checks.push({ name, fn, timeout });
  }

  /** Runs every check (concurrent callers share one run) and moves between `ready` and `unready`. */
  async run(): Promise<ReadinessResult[]> {
    if (!this.#running) {
      this.#running = Promise.all(this.#checks.map(runCheck)).finally(() => {
        this.#running = null;
      });
    }
    const results = await this.#running;
    this.#last = results;
    const failed = results.filter((r) => !r.ok);
    const state = this.#lifecycle.state;
    if (state === 'ready' && failed.length > 0) {
      this.#lifecycle.transition('unready', `readiness check ${failed.map((f) => `"${f.name}"`).join(', ')} failed`);
    } else if (state === 'unready' && failed.length === 0) {
      this.#lifecycle.transition('ready', 'readiness checks pass');
    }
    return results;
  }
}

async function runCheck(c: Check): Promise<ReadinessResult> {
  const t0 = performance.now();
  try {
    const ok = await withTimeout(Promise.resolve().then(c.fn), c.timeout, `readiness check "${c.name}"`);
    const durationMs = Math.round(performance.now() - t0);
    return ok === false ? { name: c.name, ok: false, error: 'returned false', durationMs } : { name: c.name, ok: true, durationMs };
  } catch (error) {
    return {
      name: c.name,
      ok: false,
      error: (error as Error)?.message ?? String(error),
      durationMs: Math.round(performance.now() - t0),
    };
  }
}
