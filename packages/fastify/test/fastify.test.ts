/** Fastify-specific behaviour, for Fastify 4 and 5: inject(), late routes, fastify.close(), logger, options. */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createGate } from '@draingate/core';
import { TEST_OPTIONS } from '@draingate/testkit/conformance';
import { connect, fetchOnce, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { draingate } from '../src/index.js';
import { buildApp, FASTIFY } from './drivers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(['4', '5'] as const)('fastify %s', (major) => {
  const make = FASTIFY[major];

  it('answers probes through inject(), and tracks injected requests until they finish', async () => {
    const app = await buildApp(make, { minDelay: '100ms', maxDelay: '300ms' });
    cleanups.push(() => app.close());
    await app.ready();
    expect((await app.inject('/readyz')).statusCode).toBe(503); // starting
    app.draingate.ready();
    const ready = await app.inject('/readyz?verbose');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: [] });
    expect((await app.inject('/livez')).json()).toMatchObject({ status: 'alive', state: 'ready' });
    const slow = app.inject('/work?ms=200');
    await sleep(50);
    expect(app.draingate.inflight).toBe(1);
    expect((await slow).json()).toEqual({ worked: 200 });
    expect(app.draingate.inflight).toBe(0);
    void app.draingate.shutdown();
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    const during = await app.inject('/');
    expect(during.statusCode).toBe(200);
    expect(during.headers.connection).toBe('close');
  });

  it('applies to routes registered after the plugin, in encapsulated contexts too', async () => {
    const app = await buildApp(make, { minDelay: '1s', maxDelay: '2s' });
    await app.register((child, _options, done) => {
      child.get('/late', (_request, reply) => {
        setTimeout(() => void reply.send({ late: true }), 200);
      });
      done();
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    app.draingate.ready();
    const port = (app.server.address() as AddressInfo).port;
    const c = connect('http1', port);
    cleanups.push(() => c.close());
    const pending = c.request('/late');
    await sleep(50);
    expect(app.draingate.inflight).toBe(1);
    void app.draingate.shutdown();
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.connectionClose).toBe(true);
    expect(app.draingate.inflight).toBe(0);
  });

  it.each([
    ['defaults (return503OnClosing: true)', {}],
    ['forceCloseConnections: true', { forceCloseConnections: true }],
  ])('fastify.close() first drains before Fastify closes: no 503, idle keep-alive kept (%s)', async (_name, fastifyOptions) => {
    const app = await buildApp(make, { minDelay: '800ms', maxDelay: '1500ms' }, fastifyOptions);
    const order: string[] = [];
    app.addHook('onClose', async () => {
      order.push(`onClose in ${app.draingate.state}`);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    app.draingate.ready();
    const port = (app.server.address() as AddressInfo).port;
    const idle = connect('http1', port);
    cleanups.push(() => idle.close());
    expect((await idle.request('/')).status).toBe(200);
    const closed = app.close();
    await sleep(300);
    expect(app.draingate.state).toBe('draining');
    expect(idle.closed).toBe(false);
    const fresh = await fetchOnce('http1', port, '/');
    expect(fresh.status).toBe(200); // Fastify alone would answer 503 here
    expect(fresh.connectionClose).toBe(true);
    const reused = await idle.request('/');
    expect(reused.status).toBe(200);
    expect(reused.reused).toBe(true);
    await closed;
    expect(order).toEqual(['onClose in stopping']); // Fastify's hooks ran inside the gate's hook phase
    expect(app.draingate.state).toBe('stopped');
    expect(app.draingate.status().drain?.trigger).toBe('fastify.close()');
  });

  it('supports fastify.close(callback)', async () => {
    const app = await buildApp(make, { minDelay: '50ms', maxDelay: '100ms' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const error = await new Promise<Error | undefined>((resolve) => {
      app.close((e?: Error) => resolve(e));
    });
    expect(error).toBeUndefined();
    expect(app.draingate.state).toBe('stopped');
    expect(app.server.listening).toBe(false);
  });

  it("logs through Fastify's logger by default", async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    const app = make({ logger: { level: 'info', stream } });
    const { logger: _ignored, ...options } = TEST_OPTIONS;
    await app.register(draingate, { ...options, minDelay: '50ms', maxDelay: '100ms' });
    await app.ready();
    app.draingate.ready();
    await app.close();
    const states = lines.filter((l) => typeof l.msg === 'string' && (l.msg as string).startsWith('state ')).map((l) => l.msg);
    expect(states).toEqual([
      'state starting -> ready',
      'state ready -> draining',
      'state draining -> stopping',
      'state stopping -> stopped',
    ]);
  });

  it('takes an existing gate, and rejects a gate together with gate options', async () => {
    const gate = createGate({ ...TEST_OPTIONS, minDelay: '50ms', maxDelay: '100ms' });
    const app = make({ logger: false });
    await app.register(draingate, { gate });
    expect(app.draingate).toBe(gate);
    await app.ready();
    await app.close();
    const bad = make({ logger: false });
    await expect(bad.register(draingate, { gate: createGate(TEST_OPTIONS), maxDelay: '5s' }).ready()).rejects.toThrow(
      /pass either \{ gate \} or gate options, not both \(got maxDelay with gate\)/,
    );
  });

  it('fails registration with the core configuration error', async () => {
    const app = make({ logger: false });
    await expect(app.register(draingate, { ...TEST_OPTIONS, maxDelay: '20' as never }).ready()).rejects.toThrow(
      /option maxDelay has the invalid duration "20"/,
    );
  });
});
