/** Regressions found in review: each test failed before its fix. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Started, TEST_OPTIONS } from '@draingate/testkit/conformance';
import { connect, get, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate, type StateChange } from '../src/index.js';
import { handleRequest } from '../src/internal.js';
import { nodeHttp } from './helpers/servers.js';

let started: Started | null = null;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await started?.cleanup();
  started = null;
});

describe('robustness', () => {
  it('does not take a client request forwarded by the LB for an LB health check', async () => {
    started = await nodeHttp.start({ minDelay: '100ms', maxDelay: '1500ms', lbHealthCheck: { margin: '100ms' } });
    const { gate, port } = started;
    const done = gate.shutdown();
    const spoofed = { 'user-agent': 'ELB-HealthChecker/2.0', 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 3; i++) {
      const c = connect('http1', port);
      const r = await c.request('/', spoofed);
      c.close();
      expect(r.status).toBe(200); // served by the app, not answered 503 as a health check
    }
    const result = await done;
    expect(result.evidence?.kind).toBe('max-delay');
  });

  it('marks a response already in flight when draining starts with Connection: close', async () => {
    started = await nodeHttp.start({ minDelay: '1s', maxDelay: '2s' });
    const { gate, port } = started;
    const c = connect('http1', port);
    const slow = c.request('/work?ms=300');
    await sleep(100);
    void gate.shutdown();
    const r = await slow;
    expect(r.status).toBe(200);
    expect(r.connectionClose).toBe(true);
    c.close();
  });

  it('finishes shutdown even when an event listener throws', async () => {
    started = await nodeHttp.start({ minDelay: '50ms', maxDelay: '100ms' });
    const { gate } = started;
    let hookRan = false;
    gate.addShutdownHook('h', () => {
      hookRan = true;
    });
    gate.on('state', (s: StateChange) => {
      if (s.to === 'stopping') throw new Error('listener bug');
    });
    gate.on('draining', () => {
      throw new Error('another listener bug');
    });
    const result = await gate.shutdown();
    expect(gate.state).toBe('stopped');
    expect(hookRan).toBe(true);
    expect(result.exitCode).toBe(0);
  });

  it('stops polling the sidecar when disposed while draining', async () => {
    let polls = 0;
    const sidecar = http.createServer((_req, res) => {
      polls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'draingate.io/v1', deregistered: false, targets: [] }));
    });
    await new Promise<void>((r) => sidecar.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => sidecar.close(r)));
    const gate = createGate({
      ...TEST_OPTIONS,
      minDelay: '100ms',
      maxDelay: '10s',
      sidecarUrl: `http://127.0.0.1:${(sidecar.address() as AddressInfo).port}`,
      sidecarPollInterval: '50ms',
    });
    void gate.shutdown();
    // Polling while draining (bounded wait: a loaded machine may take longer than a few intervals).
    for (let i = 0; i < 100 && polls < 2; i++) await sleep(50);
    expect(polls).toBeGreaterThan(1);
    await gate.dispose();
    // A poll already on the wire may still land; after that, nothing more for many intervals.
    await sleep(300);
    const after = polls;
    await sleep(600);
    expect(polls).toBe(after);
  });

  it('answers the same for a request handed to handleRequest twice (adapters may)', async () => {
    const gate = createGate(TEST_OPTIONS);
    cleanups.push(() => gate.dispose());
    const server = http.createServer((req, res) => {
      const first = handleRequest(gate, req, res);
      const second = handleRequest(gate, req, res);
      if (first !== second) throw new Error('handleRequest changed its answer');
      if (!first) res.end('app');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => server.close(r)));
    await gate.ready();
    const port = (server.address() as AddressInfo).port;
    expect((await get(port, '/readyz')).status).toBe(200);
    expect((await get(port, '/')).body).toBe('app');
  });

  it('tracks requests that arrive through checkContinue (Expect: 100-continue)', async () => {
    const gate = createGate({ ...TEST_OPTIONS, minDelay: '0s', maxDelay: '0s', drainTimeout: '3s' });
    const server = http.createServer();
    server.on('checkContinue', (_req, res) => {
      res.writeContinue();
      setTimeout(() => res.end('continued'), 500);
    });
    gate.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    await gate.ready();
    const port = (server.address() as AddressInfo).port;
    const body = new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/', headers: { expect: '100-continue' }, agent: false },
        (res) => {
          let b = '';
          res.setEncoding('utf8').on('data', (d: string) => {
            b += d;
          });
          res.on('end', () => resolve(b));
        },
      );
      req.on('continue', () => req.end('x'));
      req.on('error', reject);
    });
    await sleep(100);
    expect(gate.inflight).toBe(1);
    const result = await gate.shutdown();
    expect(await body).toBe('continued');
    expect(result.forcedSocketCloses).toBe(0);
    await gate.dispose();
  });

  it('answers /prestop only to GET: a HEAD must not drain the pod', async () => {
    started = await nodeHttp.start({ managementPort: 0, managementHost: '127.0.0.1' });
    const mgmt = (await started.gate.listenManagement())!;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: mgmt.port, path: '/prestop', method: 'HEAD', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(405);
    expect(started.gate.state).toBe('ready');
  });

  it('closes a server attached after stopping began instead of throwing', async () => {
    const gate = createGate({ ...TEST_OPTIONS, minDelay: '0s', maxDelay: '0s' });
    await gate.shutdown();
    const late = http.createServer();
    await new Promise<void>((r) => late.listen(0, '127.0.0.1', () => r()));
    const closed = new Promise<void>((r) => late.once('close', () => r()));
    expect(() => gate.attach(late)).not.toThrow();
    await closed;
    expect(late.listening).toBe(false);
    await gate.dispose();
  });
});
