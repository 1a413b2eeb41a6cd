/**
 * Fault: the management listener cannot listen (port taken by another process, host that does not resolve or is
 * not this machine's). Start-up must fail loudly: `gate.ready()` rejects with one line naming what the user set,
 * and the gate never turns ready (kubelet's probes and preStop must not reach whatever holds the port instead).
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { TEST_OPTIONS } from '@draingate/testkit/conformance';
import { get, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate, DraingateConfigError, type Gate, type GateOptions, type Logger } from '../../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Another process's listener on a loopback port (here: another server in this process; the kernel cannot tell). */
async function takenPort(): Promise<number> {
  const holder = net.createServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => holder.close(() => r())));
  return (holder.address() as AddressInfo).port;
}

async function startApp(options: GateOptions): Promise<{ gate: Gate; port: number }> {
  const gate = createGate({ ...TEST_OPTIONS, ...options });
  const server = http.createServer((_req, res) => res.end('app'));
  gate.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    await gate.dispose();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { gate, port: (server.address() as AddressInfo).port };
}

async function rejection(p: Promise<unknown>): Promise<DraingateConfigError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DraingateConfigError);
  return error as DraingateConfigError;
}

describe('fault: the management port is in use', () => {
  it('gate.ready() rejects with one line naming the option, and the gate never turns ready', async () => {
    const port = await takenPort();
    const { gate, port: appPort } = await startApp({ managementPort: port, managementHost: '127.0.0.1' });
    const error = await rejection(gate.ready());
    expect(error.setting).toBe('managementPort');
    expect(error.sources).toEqual([{ setting: 'managementPort', from: 'option', name: 'managementPort' }]);
    expect(error.message).toBe(
      `draingate: option managementPort (${port}): the management listener cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE) by another process, which would answer kubelet's probes and preStop instead; choose a free port or stop that process.`,
    );
    // The app's own port says the pod is not ready; the port's holder is not us.
    expect(gate.state).toBe('starting');
    expect((await get(appPort, '/readyz')).status).toBe(503);
    await expect(gate.listenManagement()).rejects.toBe(error);
  });

  it('names DRAINGATE_MANAGEMENT_PORT when the port came from the environment', async () => {
    const port = await takenPort();
    const { gate } = await startApp({ env: { DRAINGATE_MANAGEMENT_PORT: String(port), DRAINGATE_MANAGEMENT_HOST: '127.0.0.1' } });
    const error = await rejection(gate.ready());
    expect(error.setting).toBe('managementPort');
    expect(error.sources).toEqual([{ setting: 'managementPort', from: 'env', name: 'DRAINGATE_MANAGEMENT_PORT' }]);
    expect(error.message).toMatch(new RegExp(`^draingate: DRAINGATE_MANAGEMENT_PORT \\(${port}\\): .*EADDRINUSE`));
    expect(error.message).not.toContain('\n');
  });

  it('ready() before attach() starts the listener itself and fails the same way', async () => {
    const port = await takenPort();
    const gate = createGate({ ...TEST_OPTIONS, managementPort: port, managementHost: '127.0.0.1' });
    cleanups.push(() => gate.dispose());
    const error = await rejection(gate.ready());
    expect(error.setting).toBe('managementPort');
    expect(gate.state).toBe('starting');
  });
});

describe('fault: the management port is in use, and who reports it', () => {
  function lines(): { logger: Logger; errors: string[] } {
    const errors: string[] = [];
    const none = () => {};
    return { errors, logger: { debug: none, info: none, warn: none, error: (_f: object, m?: string) => errors.push(m ?? '') } };
  }

  it('an app that never calls ready() still gets the line in its log, once', async () => {
    const port = await takenPort();
    const { logger, errors } = lines();
    await startApp({ managementPort: port, managementHost: '127.0.0.1', logger });
    await sleep(1300);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^draingate: option managementPort \\(${port}\\): .*EADDRINUSE`));
  });

  it('an app that awaits ready() gets it as the rejection only (it prints the one line itself)', async () => {
    const port = await takenPort();
    const { logger, errors } = lines();
    const { gate } = await startApp({ managementPort: port, managementHost: '127.0.0.1', logger });
    await rejection(gate.ready());
    await sleep(1300);
    expect(errors).toEqual([]);
  });
});

describe('fault: the management host cannot be listened on', () => {
  it('a host name that does not resolve names DRAINGATE_MANAGEMENT_HOST', async () => {
    const { gate } = await startApp({
      env: { DRAINGATE_MANAGEMENT_PORT: '0', DRAINGATE_MANAGEMENT_HOST: 'no-such-host.invalid' },
    });
    const error = await rejection(gate.ready());
    expect(error.setting).toBe('managementHost');
    expect(error.sources).toEqual([{ setting: 'managementHost', from: 'env', name: 'DRAINGATE_MANAGEMENT_HOST' }]);
    expect(error.message).toMatch(
      /^draingate: DRAINGATE_MANAGEMENT_HOST \(no-such-host\.invalid\): the management listener cannot listen on no-such-host\.invalid:0: the host name does not resolve \((ENOTFOUND|EAI_AGAIN)\)/,
    );
    expect(gate.state).toBe('starting');
  });

  it('an address that is not this machine names the option managementHost', async () => {
    const { gate } = await startApp({ managementPort: 0, managementHost: '192.0.2.1' });
    const error = await rejection(gate.ready());
    expect(error.setting).toBe('managementHost');
    expect(error.message).toMatch(/^draingate: option managementHost \(192\.0\.2\.1\): .*not an address of this machine \(EADDRNOTAVAIL\)/);
  });
});

describe('start-up that works', () => {
  it('ready() resolves once the management listener listens, and the gate is ready', async () => {
    const { gate, port } = await startApp({ managementPort: 0, managementHost: '127.0.0.1' });
    await gate.ready();
    expect(gate.state).toBe('ready');
    const mgmt = (await gate.listenManagement())!;
    expect((await get(mgmt.port, '/readyz')).status).toBe(200);
    expect((await get(port, '/readyz')).status).toBe(200);
  });

  it('without a management port, ready() turns the gate ready in the same tick', async () => {
    const { gate } = await startApp({});
    const p = gate.ready();
    expect(gate.state).toBe('ready');
    await p;
  });
});
