import type { LifecycleState } from '@draingate/core';
import type { DraingateService } from './service.js';

/** What {@link DraingateHealthIndicator.isReady} reports under its key: `@nestjs/terminus`'s `HealthIndicatorResult`. */
export interface DraingateHealthDetails {
  status: 'up' | 'down';
  /** The gate's lifecycle state. */
  state: LifecycleState;
  /** Requests being served now. */
  inflight: number;
  /** Names of the readiness checks that failed (only when the gate ran them: `ready` or `unready`). */
  failedChecks?: string[];
}

/** `{ [key]: details }`, the shape terminus's `HealthCheckService.check()` takes from an indicator. */
export type DraingateHealthResult = Record<string, DraingateHealthDetails>;

/**
 * A `@nestjs/terminus` health indicator reporting draingate's state, for apps that already serve a terminus health
 * endpoint: `up` only while the gate is `ready` (its readiness checks are run, as `/readyz` runs them), `down` while
 * starting, unready, draining, stopping or stopped. It returns terminus's plain result object, so draingate needs no
 * import of terminus (an optional peer). Provided by `DraingateModule`.
 */
export class DraingateHealthIndicator {
  readonly #draingate: DraingateService;

  constructor(draingate: DraingateService) {
    this.#draingate = draingate;
  }

  /** `() => indicator.isReady()` in `health.check([...])`; `key` names the entry (default `draingate`). */
  async isReady(key = 'draingate'): Promise<DraingateHealthResult> {
    const { gate } = this.#draingate;
    let failedChecks: string[] | undefined;
    if (gate.state === 'ready' || gate.state === 'unready') {
      failedChecks = (await gate.checkReadiness()).filter((r) => !r.ok).map((r) => r.name);
    }
    const state = gate.state;
    const details: DraingateHealthDetails = { status: state === 'ready' ? 'up' : 'down', state, inflight: gate.inflight };
    if (failedChecks && failedChecks.length > 0) details.failedChecks = failedChecks;
    return { [key]: details };
  }
}
