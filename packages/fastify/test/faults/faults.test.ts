/**
 * Faults through the Fastify adapter, on Fastify 4 and 5: an app shutdown hook that hangs must not keep
 * `fastify.close()` (itself a gate hook, registered by the plugin before any app hook, so it runs last) and the
 * app's `onClose` hooks from running; a management port that is taken fails `app.register()`.
 */
import net, { type AddressInfo } from 'node:net';
import { DraingateConfigError } from '@draingate/core';
import { TEST_OPTIONS } from '@draingate/testkit/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { draingate } from '../../src/index.js';
import { buildApp, FASTIFY } from '../drivers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(['4', '5'] as const)('fastify %s', (major) => {
  const make = FASTIFY[major];

  it("a hung app shutdown hook runs before fastify.close(): the app's onClose hooks still run", async () => {
    const app = await buildApp(make, { minDelay: '50ms', maxDelay: '100ms', hooksTimeout: '1s' });
    const closed: string[] = [];
    app.addHook('onClose', async () => {
      closed.push('onClose: db pool');
    });
    // Registered after the plugin: runs before fastify.close(), and never settles.
    app.draingate.addShutdownHook('flush-telemetry', () => new Promise(() => {}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.draingate.dispose());
    await app.draingate.ready();
    const t0 = performance.now();
    const result = await app.draingate.shutdown('SIGTERM');
    expect(closed).toEqual(['onClose: db pool']);
    expect(result.failedHooks).toEqual(['flush-telemetry']);
    expect(app.server.listening).toBe(false);
    // Within hooksTimeout: the hung hook had its half of it, fastify.close() the other half.
    expect(performance.now() - t0).toBeLessThan(1000 + 100 + 500);
  });

  it('a management port another process holds fails app.register() with one line naming the setting', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => holder.close(() => r())));
    const port = (holder.address() as AddressInfo).port;
    const app = make({ logger: false });
    // The plugin's gate comes from the built @draingate/core: its class, not the one in core's src.
    const error = await app.register(draingate, { ...TEST_OPTIONS, managementPort: port, managementHost: '127.0.0.1' }).then(
      () => null,
      (e: unknown) => e,
    );
    cleanups.push(() => (app as unknown as { draingate?: { dispose(): Promise<void> } }).draingate?.dispose());
    expect(error).toBeInstanceOf(DraingateConfigError);
    expect((error as DraingateConfigError).setting).toBe('managementPort');
    expect((error as Error).message).toMatch(new RegExp(`^draingate: option managementPort \\(${port}\\): .*EADDRINUSE[^\\n]*$`));
  });
});
