/**
 * DraingateHealthIndicator inside a real @nestjs/terminus health endpoint: `up` while the gate is ready, `down` with
 * the failing readiness check, and `down` from the moment draining begins (before any Nest shutdown hook).
 */

import { fetchOnce } from '@draingate/testkit/http';
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { afterEach, describe, expect, it } from 'vitest';
import { DraingateHealthIndicator } from '../src/index.js';
import { PLATFORMS, type StartedNest, startNest } from './helpers/apps.js';

class HealthController {
  constructor(
    readonly health: HealthCheckService,
    readonly draingate: DraingateHealthIndicator,
  ) {}
  check() {
    return this.health.check([() => this.draingate.isReady()]);
  }
}
Controller('health')(HealthController);
Inject(HealthCheckService)(HealthController, undefined, 0);
Inject(DraingateHealthIndicator)(HealthController, undefined, 1);
const check = Object.getOwnPropertyDescriptor(HealthController.prototype, 'check')!;
Get()(HealthController.prototype, 'check', check);
HealthCheck()(HealthController.prototype, 'check', check);

const started: StartedNest[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.cleanup();
});

for (const platform of PLATFORMS) {
  describe(`DraingateHealthIndicator with @nestjs/terminus, Nest on ${platform}`, () => {
    it('reports up while ready, down with the failing check while unready, down while draining', async () => {
      const s = await startNest(
        platform,
        { minDelay: '1s', maxDelay: '2s' },
        { imports: [TerminusModule.forRoot({ logger: false })], controllers: [HealthController] },
      );
      started.push(s);
      const up = await fetchOnce('http1', s.port, '/health');
      expect(up.status).toBe(200);
      expect(JSON.parse(up.body)).toMatchObject({ status: 'ok', info: { draingate: { status: 'up', state: 'ready', inflight: 1 } } });

      let dbUp = false;
      s.gate.addReadinessCheck('db', () => {
        if (!dbUp) throw new Error('db down');
      });
      const unready = await fetchOnce('http1', s.port, '/health');
      expect(unready.status).toBe(503);
      expect(JSON.parse(unready.body)).toMatchObject({
        status: 'error',
        error: { draingate: { status: 'down', state: 'unready', failedChecks: ['db'] } },
      });
      dbUp = true;
      expect((await fetchOnce('http1', s.port, '/health')).status).toBe(200);

      void s.gate.shutdown();
      const draining = await fetchOnce('http1', s.port, '/health');
      expect(draining.status).toBe(503);
      expect(draining.connectionClose).toBe(true);
      expect(JSON.parse(draining.body)).toMatchObject({ status: 'error', error: { draingate: { status: 'down', state: 'draining' } } });
    });
  });
}
