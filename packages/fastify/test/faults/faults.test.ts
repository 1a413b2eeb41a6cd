/** Faults through the Fastify adapter, on Fastify 4 and 5: a management port that is taken fails `app.register()`. */
import net, { type AddressInfo } from 'node:net';
import { DraingateConfigError } from '@draingate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_OPTIONS } from '../../../core/test/helpers/servers.js';
import { draingate } from '../../src/index.js';
import { FASTIFY } from '../drivers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(['4', '5'] as const)('fastify %s', (major) => {
  const make = FASTIFY[major];

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
