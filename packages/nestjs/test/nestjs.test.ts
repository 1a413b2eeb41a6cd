/**
 * What @draingate/nestjs adds to the conformance suite: Nest's shutdown hooks run after draining, on both platforms.
 * Real Nest apps on real sockets (127.0.0.1), each with a provider that records when Nest calls its hooks.
 */

import type http from 'node:http';
import type { Duration } from '@draingate/core';
import { TEST_OPTIONS } from '@draingate/testkit/conformance';
import { connect, fetchOnce, sleep } from '@draingate/testkit/http';
import type { INestApplication } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { DraingateModule, DraingateService } from '../src/index.js';
import { nest11, PLATFORMS, type Platform, type StartedNest, startNest } from './helpers/apps.js';
import type { NestKit } from './helpers/kit.js';
import { nest10 } from './nest10/apps.js';

/** A provider standing for a database pool: records when Nest calls each of its shutdown hooks. */
function recorder(log: { what: string; at: number }[]) {
  class Database {
    onModuleDestroy() {
      log.push({ what: 'onModuleDestroy', at: performance.now() });
    }
    beforeApplicationShutdown(signal?: string) {
      log.push({ what: `beforeApplicationShutdown(${signal ?? ''})`, at: performance.now() });
    }
    onApplicationShutdown(signal?: string) {
      log.push({ what: `onApplicationShutdown(${signal ?? ''})`, at: performance.now() });
    }
  }
  return Database;
}

const started: StartedNest[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.cleanup();
});

/** What the issue asks of every Nest and platform: Nest's hooks after the in-flight request, new requests served. */
function shutdownOrder(kit: NestKit, platform: Platform): void {
  const { startNest } = kit;
  describe(`@draingate/nestjs, ${kit.nest.name} on ${platform}: Nest's hooks after draining`, () => {
    it('runs onModuleDestroy only after the in-flight request completed, and serves a request that arrives while draining', async () => {
      const log: { what: string; at: number }[] = [];
      const s = await startNest(platform, { minDelay: '600ms', maxDelay: '700ms', drainTimeout: '4s' }, { providers: [recorder(log)] });
      started.push(s);
      const inflight = connect('http1', s.port)
        .request('/work?ms=1500')
        .then((r) => {
          log.push({ what: 'in-flight response', at: performance.now() });
          return r;
        });
      await sleep(100);
      const done = s.gate.shutdown();
      await sleep(200);
      expect(s.gate.state).toBe('draining');
      const fresh = await fetchOnce('http1', s.port, '/');
      expect(fresh.status).toBe(200); // served: the server still accepts while the LB may route here
      expect(fresh.connectionClose).toBe(true);
      expect(log).toEqual([]); // nothing of Nest's shutdown has run while draining

      const slow = await inflight;
      expect(slow.status).toBe(200);
      expect(JSON.parse(slow.body)).toEqual({ worked: 1500 });
      const result = await done;
      expect(result).toMatchObject({ exitCode: 0, forcedSocketCloses: 0, failedHooks: [] });
      expect(log.map((e) => e.what)).toEqual([
        'in-flight response',
        'onModuleDestroy',
        'beforeApplicationShutdown()',
        'onApplicationShutdown()',
      ]);
      // onModuleDestroy ran after the response arrived at the client, i.e. after the request had finished.
      expect(log[1]!.at).toBeGreaterThan(log[0]!.at);
    });

    it('app.close() from your code drains first, then runs Nest’s hooks once', async () => {
      const log: { what: string; at: number }[] = [];
      const s = await startNest(platform, { minDelay: '200ms', maxDelay: '300ms', drainTimeout: '4s' }, { providers: [recorder(log)] });
      started.push(s);
      const inflight = connect('http1', s.port).request('/work?ms=800');
      await sleep(100);
      const t0 = performance.now();
      await s.app.close();
      const closedAfter = performance.now() - t0;
      expect((await inflight).status).toBe(200);
      expect(s.gate.state).toBe('stopped');
      expect(closedAfter).toBeGreaterThanOrEqual(650); // waited for the request (800 ms from 100 ms before)
      expect(log.map((e) => e.what)).toEqual(['onModuleDestroy', 'beforeApplicationShutdown()', 'onApplicationShutdown()']);
      await s.app.close(); // a second close changes nothing
      expect(log).toHaveLength(3);
    });
  });
}

for (const kit of [nest11, nest10]) for (const platform of PLATFORMS) shutdownOrder(kit, platform);

for (const platform of PLATFORMS) {
  describe(`@draingate/nestjs, Nest 11 on ${platform}`, () => {
    it("passes the signal that started the shutdown to Nest's hooks, as enableShutdownHooks() would", async () => {
      const log: { what: string; at: number }[] = [];
      const s = await startNest(platform, { minDelay: '100ms', maxDelay: '200ms', signals: ['SIGUSR2'] }, { providers: [recorder(log)] });
      started.push(s);
      const stopped = new Promise((resolve) => s.gate.once('stopped', resolve));
      process.kill(process.pid, 'SIGUSR2');
      await stopped;
      expect(log.map((e) => e.what)).toEqual(['onModuleDestroy', 'beforeApplicationShutdown(SIGUSR2)', 'onApplicationShutdown(SIGUSR2)']);
      expect(process.listenerCount('SIGUSR2')).toBe(0); // the gate removed its handler once stopped
    });

    it('refuses app.enableShutdownHooks() for a signal the gate handles, at attach(app) and at app.listen()', async () => {
      const options = { ...TEST_OPTIONS, signals: ['SIGUSR2'] as NodeJS.Signals[] };
      const apps: INestApplication[] = [];
      const release = async () => {
        for (const app of apps) {
          (app as unknown as { unsubscribeFromProcessSignals(): void }).unsubscribeFromProcessSignals();
          await app.get(DraingateService).gate.dispose();
        }
      };
      try {
        // Before attach(app): attach throws.
        await expect(
          startNest(platform, options, {
            beforeAttach: (app) => {
              apps.push(app);
              app.enableShutdownHooks(['SIGUSR2']);
            },
          }),
        ).rejects.toThrow(/app\.enableShutdownHooks\(\) handles SIGUSR2, which draingate handles too.*Remove app\.enableShutdownHooks\(\)/);
        // After attach(app), before app.listen(): the listen fails (Nest's onApplicationBootstrap, inside app.init()).
        await expect(
          startNest(platform, options, {
            afterAttach: (app) => {
              apps.push(app);
              app.enableShutdownHooks(['SIGUSR2']);
            },
          }),
        ).rejects.toThrow(/app\.enableShutdownHooks\(\) handles SIGUSR2, which draingate handles too/);
        // Another signal is the app's business: allowed.
        const other = await startNest(platform, options, {
          beforeAttach: (app) => {
            apps.push(app);
            app.enableShutdownHooks(['SIGHUP']);
          },
        });
        await other.gate.dispose();
        await new Promise<void>((r) => other.server.close(() => r()));
      } finally {
        await release();
      }
      expect(process.listenerCount('SIGUSR2')).toBe(0);
      expect(process.listenerCount('SIGHUP')).toBe(0);
    });

    it('without attach(app), app.listen() warns that the gate sees no server and Nest’s hooks will not run after draining', async () => {
      const warnings: string[] = [];
      const logger = { debug() {}, info() {}, warn: (_o: unknown, msg: string) => warnings.push(msg), error() {} };
      const s = await startNest(platform, { logger }, { attach: false });
      started.push(s);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /attach\(app\) was not called: the gate sees no server.*Call app\.get\(DraingateService\)\.attach\(app\) before app\.listen\(\)/,
      );
      // What the warning is about: Nest answers, the gate does not (its probes are not there).
      expect((await fetchOnce('http1', s.port, '/')).status).toBe(200);
      expect((await fetchOnce('http1', s.port, '/readyz')).status).toBe(404);
      expect(s.gate.connections).toBe(0);
    });

    it('forRootAsync() takes the gate options from a factory with injected dependencies', async () => {
      const CONFIG = Symbol('config');
      class ConfigModule {}
      const { Global, Module } = await import('@nestjs/common');
      Module({ providers: [{ provide: CONFIG, useValue: { drainTimeout: '1500ms' } }], exports: [CONFIG] })(ConfigModule);
      Global()(ConfigModule);
      const s = await startNest(
        platform,
        {},
        {
          imports: [ConfigModule],
          draingateModule: DraingateModule.forRootAsync({
            inject: [CONFIG],
            useFactory: async (config: { drainTimeout: Duration }) => ({ ...TEST_OPTIONS, ...config }),
          }),
        },
      );
      started.push(s);
      expect(s.gate.config.drainTimeout).toBe(1500);
      expect((await fetchOnce('http1', s.port, '/readyz')).status).toBe(200);
    });
  });
}

describe('DraingateModule', () => {
  it('attach() takes a Nest application, once', async () => {
    const a = await startNest('express', {}, { attach: false });
    started.push(a);
    const draingate = a.draingate;
    expect(() => draingate.attach({} as never)).toThrow(/attach\(app\) takes the Nest application NestFactory\.create\(\) returned/);
    expect(draingate.attach(a.app)).toBe(a.app);
    expect(draingate.attach(a.app)).toBe(a.app); // the same app again: nothing changes
    const other = { close: async () => {}, getHttpServer: () => a.server };
    expect(() => draingate.attach(other as never)).toThrow(/attach\(app\) was already called with another Nest application/);
  });

  // The gate intercepts the server's request events (core's attach()), so that it sees requests before every listener,
  // whenever added. Running inside Nest's one request listener instead saved ~80 instructions per request on Nest 11
  // on Fastify (bench/overhead-instructions.mjs, one run each: the cost is core's per-request work), not worth listeners
  // that would bypass the gate.
  for (const platform of PLATFORMS) {
    for (const when of ['before', 'after'] as const) {
      it(`on ${platform}: a request listener added to Nest's server ${when} attach(app) never sees /readyz; requests are counted once`, async () => {
        const seen: string[] = [];
        const listen = (app: INestApplication) =>
          (app.getHttpServer() as http.Server).on('request', (req: http.IncomingMessage) => seen.push(req.url!));
        const s = await startNest(platform, {}, when === 'before' ? { beforeAttach: listen } : { afterAttach: listen });
        started.push(s);
        expect((await fetchOnce('http1', s.port, '/readyz')).status).toBe(200);
        expect((await fetchOnce('http1', s.port, '/')).status).toBe(200);
        expect(seen).toEqual(['/']);
        expect(s.gate.status().requestsByPhase.ready).toBe(1);
      });
    }
  }

  it('forRootAsync() without useFactory fails with a message naming it', () => {
    expect(() => DraingateModule.forRootAsync({} as never)).toThrow(/forRootAsync\(\) needs \{ useFactory \}/);
  });

  it('invalid gate options fail NestFactory.create() with the DraingateConfigError naming the option', async () => {
    await expect(startNest('express', { maxDelay: '20' as never })).rejects.toThrow(/maxDelay has the invalid duration "20"/);
  });
});
