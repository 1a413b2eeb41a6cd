/** startNext(): options that are wrong fail naming what was set; what it does to the process and the gate. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_OPTIONS } from '@draingate/testkit/conformance';
import { fetchOnce } from '@draingate/testkit/http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { buildExample, copyOfExample } from './helpers/example.js';
import { createGateForTest } from './helpers/gate.js';

const { startNext } = api;

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
beforeAll(buildExample);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('@draingate/next exports', () => {
  it('has the documented runtime exports and nothing else, in source and build', async () => {
    expect(Object.keys(api)).toEqual(['DraingateConfigError', 'startNext']);
    expect(api.DraingateConfigError).toBe((await import('@draingate/core')).DraingateConfigError);
    const built = await import(new URL('../dist/bundle/index.js', import.meta.url).href);
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
  });
});

describe('startNext() options', () => {
  const wrong: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown option', { minDelay: '1s' }, /unknown option minDelay; known: .*Gate options go in \{ draingate: \{ \.\.\. \} \}/],
    ['gate and draingate', { gate: {}, draingate: {} }, /either \{ draingate: gate options \} or \{ gate \}, not both/],
    ['a gate that is not one', { gate: { shutdown() {} } }, /option gate must be a gate made by createGate\(\)/],
    ['a bad port', { port: 70000 }, /option port \(70000\) must be an integer from 0 to 65535/],
    ['next options that startNext sets', { next: { dir: '/x', dev: true } }, /option next sets dir, dev, which startNext\(\) sets itself/],
    ['a bad keepAliveTimeout', { keepAliveTimeout: '65s' }, /option keepAliveTimeout \("65s"\) must be a whole number of milliseconds/],
  ];
  it.each(wrong)('rejects %s, naming it', async (_what, options, message) => {
    await expect(startNext(options as api.DraingateNextOptions)).rejects.toThrow(message);
  });

  it('names PORT when the port came from the environment', async () => {
    const before = process.env.PORT;
    process.env.PORT = '80a';
    try {
      await expect(startNext({ dir: '/nonexistent' })).rejects.toThrow(/@draingate\/next: PORT \("80a"\) must be an integer/);
    } finally {
      if (before === undefined) delete process.env.PORT;
      else process.env.PORT = before;
    }
  });

  it('names dir when there is no Next.js to load from it', async () => {
    await expect(startNext({ dir: '/nonexistent/app', port: 0 })).rejects.toThrow(
      /cannot load the package "next" from option dir \(\/nonexistent\/app\)/,
    );
  });
});

describe('startNext() on the example', () => {
  it('sets NEXT_MANUAL_SIG_HANDLE, adds no signal listener of Next, uses the gate given, and leaves ready() to the app when asked', async () => {
    const copy = copyOfExample();
    cleanups.push(copy.remove);
    const gate = createGateForTest();
    const sigterm = process.listenerCount('SIGTERM');
    const started = await startNext({ dir: copy.dir, port: 0, hostname: '127.0.0.1', gate, ready: false });
    cleanups.push(() => started.gate.shutdown().then(() => started.gate.dispose()));
    expect(started.gate).toBe(gate);
    expect(process.env.NEXT_MANUAL_SIG_HANDLE).toBe('true');
    expect(process.listenerCount('SIGTERM')).toBe(sigterm);
    expect(started.server.keepAliveTimeout).toBe(65_000);
    expect(started.port).toBe((started.server.address() as AddressInfo).port);
    expect((await fetchOnce('http1', started.port, '/readyz')).status).toBe(503);
    expect((await fetchOnce('http1', started.port, '/work?ms=1')).status).toBe(200); // served while starting
    await gate.ready();
    expect((await fetchOnce('http1', started.port, '/readyz')).status).toBe(200);
  });

  it('rejects with the listen error when the port is taken, and releases the gate it made', async () => {
    const holder = http.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => holder.close(() => r())));
    const copy = copyOfExample();
    cleanups.push(copy.remove);
    const port = (holder.address() as AddressInfo).port;
    const managementPort = await freePort();
    const options = { ...TEST_OPTIONS, managementPort, managementHost: '127.0.0.1' };
    await expect(startNext({ dir: copy.dir, port, hostname: '127.0.0.1', draingate: options })).rejects.toThrow(/EADDRINUSE/);
    // The gate's management listener was up (attach() starts it) and is closed again: its port is free.
    const again = http.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(managementPort, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => again.close(() => r()));
  });
});
