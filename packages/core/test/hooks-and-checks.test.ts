import type { Started } from '@draingate/testkit/conformance';
import { connect, get, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { DraingateConfigError, type StateChange } from '../src/index.js';
import { nodeHttp } from './helpers/servers.js';

let started: Started | null = null;
afterEach(async () => {
  await started?.cleanup();
  started = null;
});

describe('shutdown hooks', () => {
  it('run after connections drained, in reverse order of registration', async () => {
    started = await nodeHttp.start({ minDelay: '50ms', maxDelay: '100ms' });
    const { gate } = started;
    const order: string[] = [];
    gate.on('state', (s: StateChange) => order.push(`state:${s.to}`));
    gate.addShutdownHook('db', () => order.push('db'));
    gate.addShutdownHook('cache', async () => {
      await sleep(50);
      order.push('cache');
    });
    gate.addShutdownHook('tracing', () => order.push('tracing'));
    const result = await gate.shutdown();
    expect(result.exitCode).toBe(0);
    expect(order).toEqual(['state:draining', 'state:stopping', 'tracing', 'cache', 'db', 'state:stopped']);
  });

  it('bound each hook by its timeout, carry on with the next, and exit 1', async () => {
    started = await nodeHttp.start({ minDelay: '50ms', maxDelay: '100ms', hooksTimeout: '2s' });
    const { gate } = started;
    const ran: string[] = [];
    gate.addShutdownHook('first-registered', () => ran.push('first-registered'));
    gate.addShutdownHook('hangs', () => new Promise(() => {}), { timeout: '300ms' });
    gate.addShutdownHook('throws', () => {
      throw new Error('boom');
    });
    const t0 = Date.now();
    const result = await gate.shutdown();
    expect(result.exitCode).toBe(1);
    expect(result.failedHooks).toEqual(['throws', 'hangs']);
    expect(ran).toEqual(['first-registered']);
    const hooksMs = gate.status().phaseDurationsMs.hooks!;
    expect(hooksMs).toBeGreaterThanOrEqual(290);
    expect(hooksMs).toBeLessThan(1500);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('share hooksTimeout: a slow hook is cut at its share, so the hook after it still runs', async () => {
    started = await nodeHttp.start({ minDelay: '50ms', maxDelay: '100ms', hooksTimeout: '400ms' });
    const { gate } = started;
    const ran: string[] = [];
    gate.addShutdownHook('late', () => ran.push('late'));
    gate.addShutdownHook('slow', () => new Promise((r) => setTimeout(r, 2000)));
    const result = await gate.shutdown();
    expect(result.failedHooks).toEqual(['slow']);
    expect(ran).toEqual(['late']);
    const hooksMs = gate.status().phaseDurationsMs.hooks!;
    expect(hooksMs).toBeGreaterThanOrEqual(190);
    expect(hooksMs).toBeLessThan(400);
  });

  it('reject a hook timeout above hooksTimeout at registration', async () => {
    started = await nodeHttp.start({ hooksTimeout: '1s' });
    expect(() => started!.gate.addShutdownHook('x', () => {}, { timeout: '5s' })).toThrow(DraingateConfigError);
    expect(() => started!.gate.addShutdownHook('x', () => {}, { timeout: '5s' })).toThrow(/more than hooksTimeout 1s/);
    expect(() => started!.gate.addShutdownHook('x', () => {}, { timeout: '5' as never })).toThrow(/invalid duration "5"/);
  });
});

describe('readiness checks', () => {
  it('turn the gate unready while one fails, ready again when it passes; ?verbose lists them', async () => {
    started = await nodeHttp.start({});
    const { gate, port } = started;
    let dbUp = true;
    gate.addReadinessCheck('db', () => dbUp);
    gate.addReadinessCheck('cache', async () => {
      await sleep(10);
    });
    const c = connect('http1', port);
    try {
      expect((await c.request('/readyz')).status).toBe(200);
      dbUp = false;
      const down = await c.request('/readyz?verbose');
      expect(down.status).toBe(503);
      const body = JSON.parse(down.body);
      expect(body.status).toBe('unready');
      expect(body.checks).toEqual([
        expect.objectContaining({ name: 'db', ok: false, error: 'returned false' }),
        expect.objectContaining({ name: 'cache', ok: true }),
      ]);
      expect(gate.state).toBe('unready');
      expect((await c.request('/livez')).status).toBe(200);
      dbUp = true;
      expect((await c.request('/readyz')).status).toBe(200);
      expect(gate.state).toBe('ready');
    } finally {
      c.close();
    }
  });

  it('time out a hanging check so /readyz answers within the kubelet probe timeout', async () => {
    started = await nodeHttp.start({});
    const { gate, port } = started;
    gate.addReadinessCheck('hangs', () => new Promise(() => {}), { timeout: '200ms' });
    const t0 = Date.now();
    const c = connect('http1', port);
    try {
      const r = await c.request('/readyz?verbose');
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body).checks[0].error).toMatch(/timed out after 200ms/);
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      c.close();
    }
  });

  it('are not run once draining: /readyz is 503 whatever they say', async () => {
    started = await nodeHttp.start({ minDelay: '500ms', maxDelay: '1s', managementPort: 0, managementHost: '127.0.0.1' });
    const { gate } = started;
    let runs = 0;
    gate.addReadinessCheck('counted', () => {
      runs++;
      return true;
    });
    const mgmt = (await gate.listenManagement())!;
    expect((await get(mgmt.port, '/readyz')).status).toBe(200);
    void gate.shutdown();
    expect((await get(mgmt.port, '/readyz')).status).toBe(503);
    expect(runs).toBe(1);
  });
});
