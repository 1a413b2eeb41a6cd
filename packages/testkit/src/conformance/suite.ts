/**
 * The lifecycle conformance suite (DESIGN §2): written once, run against every server kind. Framework
 * packages run it unchanged with their own driver. Real sockets on 127.0.0.1, generous time bounds.
 */
import net from 'node:net';
import type { GateOptions, StateChange } from '@draingate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Conn, connect, fetchOnce, get, sleep, waitFor } from '../http/client.js';
import type { ConformanceDriver, Started } from './driver.js';

const ELB = { 'user-agent': 'ELB-HealthChecker/2.0' };

export function conformance(driver: ConformanceDriver): void {
  describe(`lifecycle conformance: ${driver.name}`, () => {
    let started: Started | null = null;
    const conns: Conn[] = [];
    const start = async (options: GateOptions = {}, startOptions = {}) => {
      started = await driver.start(options, startOptions);
      return started;
    };
    const open = () => {
      if (!started) throw new Error('start first');
      const c = connect(driver.protocol, started.port);
      conns.push(c);
      return c;
    };

    afterEach(async () => {
      for (const c of conns.splice(0)) c.close();
      await started?.cleanup();
      started = null;
    });

    it('answers /livez 200 and /readyz 503 while starting, 200 once ready', async () => {
      const { gate, port } = await start({}, { ready: false });
      const c = open();
      expect((await c.request('/livez')).status).toBe(200);
      const starting = await c.request('/readyz');
      expect(starting.status).toBe(503);
      expect(JSON.parse(starting.body)).toEqual({ status: 'starting' });
      await gate.ready();
      const ready = await c.request('/readyz');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
      expect((await fetchOnce(driver.protocol, port, '/')).status).toBe(200);
    });

    it('flips /readyz to 503 in the same tick as shutdown; /livez stays 200', async () => {
      const { gate } = await start({ minDelay: '1s', maxDelay: '2s' });
      const c = open();
      expect((await c.request('/readyz')).status).toBe(200);
      const t0 = performance.now();
      void gate.shutdown();
      expect(gate.state).toBe('draining'); // synchronous: no request can see "ready" after this line
      const r = await c.request('/readyz');
      const flipMs = performance.now() - t0;
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body)).toEqual({ status: 'draining' });
      expect(flipMs).toBeLessThan(1000);
      expect((await fetchOnce(driver.protocol, started!.port, '/livez')).status).toBe(200);
    });

    it('serves requests during draining on existing and fresh connections, each marked to close', async () => {
      const { gate, port } = await start({ minDelay: '1500ms', maxDelay: '3s' });
      const existing = open();
      const before = await existing.request('/');
      expect(before.status).toBe(200);
      expect(before.connectionClose).toBe(false);
      void gate.shutdown();

      const onExisting = await existing.request('/');
      expect(onExisting.status).toBe(200);
      expect(onExisting.reused).toBe(true);
      expect(onExisting.connectionClose).toBe(true);
      await withTimeout(existing.closedPromise, 3000, 'the server to close the connection after a Connection: close response');

      const fresh = await fetchOnce(driver.protocol, port, '/');
      expect(fresh.status).toBe(200);
      expect(fresh.connectionClose).toBe(true);
      expect(gate.state).toBe('draining');
    });

    it('leaves idle keep-alive connections open while draining', async () => {
      const { gate } = await start({ minDelay: '1500ms', maxDelay: '3s' });
      const idle = open();
      expect((await idle.request('/')).status).toBe(200);
      void gate.shutdown();
      await sleep(700);
      expect(gate.state).toBe('draining');
      expect(idle.closed).toBe(false);
      // The LB may still reuse it: the request is served, and the connection closed after it.
      const late = await idle.request('/');
      expect(late.status).toBe(200);
      expect(late.reused).toBe(true);
      expect(late.connectionClose).toBe(true);
    });

    it('lets an in-flight request longer than the remaining delay complete, then exits 0', async () => {
      const { gate } = await start({ minDelay: '100ms', maxDelay: '300ms', drainTimeout: '4s' });
      const c = open();
      const slow = c.request('/work?ms=1200');
      await sleep(100);
      const done = gate.shutdown();
      const r = await slow;
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ worked: 1200 });
      const result = await done;
      expect(result.exitCode).toBe(0);
      expect(result.forcedSocketCloses).toBe(0);
      expect(gate.state).toBe('stopped');
    });

    it('cuts a request longer than drainTimeout and counts it as forced (exit code 1)', async () => {
      const { gate } = await start({ minDelay: '100ms', maxDelay: '200ms', drainTimeout: '400ms' });
      const c = open();
      const slow = c.request('/work?ms=8000').then(
        () => 'completed',
        () => 'cut',
      );
      await sleep(100);
      const t0 = performance.now();
      const result = await gate.shutdown();
      expect(await slow).toBe('cut');
      expect(result.forcedSocketCloses).toBe(1);
      expect(result.exitCode).toBe(1);
      expect(gate.status().forcedSocketCloses).toBe(1);
      expect(performance.now() - t0).toBeLessThan(4000);
    });

    it('stops accepting and closes idle connections once draining ends', async () => {
      const { gate, port } = await start({ minDelay: '100ms', maxDelay: '200ms', drainTimeout: '1s' });
      const idle = open();
      expect((await idle.request('/')).status).toBe(200);
      const result = await gate.shutdown();
      expect(result.exitCode).toBe(0);
      await withTimeout(idle.closedPromise, 2000, 'the idle connection to be closed in stopping');
      const refused = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    });

    it('ends draining on LB health-check evidence, not before minDelay', async () => {
      const { gate } = await start({ minDelay: '600ms', maxDelay: '5s', lbHealthCheck: { unhealthyThreshold: 2, margin: '200ms' } });
      const lb = open();
      expect((await lb.request('/', ELB)).status).toBe(200); // the LB checks "/" (the AWS controller's default)
      const states: StateChange[] = [];
      gate.on('state', (s: StateChange) => states.push(s));
      const t0 = Date.now();
      const done = gate.shutdown();
      // While draining, the gate answers LB checks with 503 itself, on any path.
      const first = await fetchOnce(driver.protocol, started!.port, '/', ELB);
      const second = await fetchOnce(driver.protocol, started!.port, '/', ELB);
      expect([first.status, second.status]).toEqual([503, 503]);
      const result = await done;
      const drained = states.find((s) => s.to === 'stopping');
      expect(result.evidence?.kind).toBe('lb-health-checks');
      expect(drained!.at - t0).toBeGreaterThanOrEqual(590);
      expect(drained!.at - t0).toBeLessThan(3000);
    });

    it('keeps /prestop, /status and /metrics off the traffic port', async () => {
      const { gate, port } = await start({ managementPort: 0, managementHost: '127.0.0.1', metrics: true });
      for (const path of ['/prestop', '/status', '/metrics']) {
        const r = await fetchOnce(driver.protocol, port, path);
        expect(r.status, path).toBe(404);
        expect(JSON.parse(r.body), path).toEqual({ error: 'not found' }); // the app's own 404
      }
      expect(gate.state).toBe('ready');
      const mgmt = await gate.listenManagement();
      expect((await get(mgmt!.port, '/status')).status).toBe(200);
      expect((await get(mgmt!.port, '/readyz')).status).toBe(200);
    });

    // HTTP/1 only: a request head that is still arriving when stopping begins.
    if (driver.protocol !== 'h2')
      it('serves a request whose head was still arriving when stopping began', async () => {
        const { gate, port } = await start({ minDelay: '0s', maxDelay: '0s', drainTimeout: '2s' });
        const raw = await rawConnection(driver.protocol === 'https', port);
        raw.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        await raw.response();
        raw.write('GET /work?ms=10 HTTP/1.1\r\nHost: x\r\n'); // the LB is mid-request on a reused connection
        await sleep(50);
        const done = gate.shutdown();
        await sleep(50);
        raw.write('\r\n');
        const second = await raw.response();
        expect(second).toMatch(/^HTTP\/1\.1 200 /);
        expect(second.toLowerCase()).toContain('connection: close');
        const result = await done;
        expect(result.forcedSocketCloses).toBe(0);
        expect(result.exitCode).toBe(0);
      });

    // Registered only where upgrades exist (HTTP/1): no test is reported as skipped.
    if (driver.supportsUpgrade)
      it('gives upgraded sockets a drain event, then destroys them at the deadline', async () => {
        const { gate, port } = await start({ minDelay: '100ms', maxDelay: '200ms', drainTimeout: '500ms' }, { upgrades: true });
        const polite = await upgrade(driver.protocol === 'https', port);
        const stubborn = await upgrade(driver.protocol === 'https', port);
        let drainEvent: { sockets: unknown[]; deadline: number } | null = null;
        gate.on('drain', (e: { sockets: { end(): void }[]; deadline: number }) => {
          drainEvent = e;
          e.sockets[0]?.end(); // the app closes one upgraded socket itself (e.g. a WebSocket close frame)
        });
        const result = await gate.shutdown();
        expect(drainEvent).not.toBeNull();
        expect(drainEvent!.sockets).toHaveLength(2);
        await withTimeout(Promise.all([polite.closed, stubborn.closed]), 2000, 'upgraded sockets to close');
        expect(result.forcedSocketCloses).toBe(1);
      });
  });
}

/** A raw HTTP/1 connection: write bytes, read one whole response (content-length or chunked body). */
async function rawConnection(tls: boolean, port: number): Promise<{ write(s: string): void; response(): Promise<string> }> {
  const { default: tlsMod } = await import('node:tls');
  const { testTls } = await import('../http/tls.js');
  const socket = tls ? tlsMod.connect({ host: '127.0.0.1', port, ca: testTls().cert }) : net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let buf = '';
  let closed = false;
  socket.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
  });
  socket.on('close', () => {
    closed = true;
  });
  return {
    write: (s) => socket.write(s),
    async response() {
      const whole = () => {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return null;
        const head = buf.slice(0, end);
        if (/transfer-encoding: chunked/i.test(head)) {
          const last = buf.indexOf('\r\n0\r\n\r\n', end);
          return last < 0 ? null : last + 7;
        }
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        return buf.length >= end + 4 + length ? end + 4 + length : null;
      };
      await waitFor(() => whole() !== null || closed, 5000, 'a response');
      const n = whole();
      if (n === null) throw new Error(`connection closed without a response (got ${JSON.stringify(buf)})`);
      const r = buf.slice(0, n);
      buf = buf.slice(n);
      return r;
    },
  };
}

async function upgrade(tls: boolean, port: number): Promise<{ closed: Promise<void> }> {
  const { default: tlsMod } = await import('node:tls');
  const { testTls } = await import('../http/tls.js');
  const socket = tls ? tlsMod.connect({ host: '127.0.0.1', port, ca: testTls().cert }) : net.connect(port, '127.0.0.1');
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => {});
  socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        socket.once('data', (d: Buffer) => resolve(d.toString().startsWith('HTTP/1.1 101')));
      }),
    3000,
    'the 101 response',
  );
  return { closed };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`timed out after ${ms} ms waiting for ${what}`)))]);
}
