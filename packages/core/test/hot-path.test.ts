/**
 * The hot path's bookkeeping under concurrency: before shutdown, responses of plain HTTP/1 requests are kept in a
 * list swept of closed ones (no listener per response); once shutdown begins each one in flight gets a close
 * listener. These tests cross the sweep threshold (16) with many requests in flight at once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_OPTIONS } from '@draingate/testkit/conformance';
import { get, sleep, waitFor } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate } from '../src/index.js';
import { resolveConfig } from '../src/internal/config.js';
import { LbHealthChecks } from '../src/internal/lb-health-checks.js';
import { Lifecycle } from '../src/internal/lifecycle.js';
import { Requests } from '../src/internal/requests.js';
import { PeerTraffic, TrafficRate } from '../src/internal/traffic.js';
import { isPathOf, monotonicNow, pathOf } from '../src/internal/util.js';
import { handleRequest } from '../src/internal.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server whose `/hold` requests wait until `release()`; every other path answers at once. */
async function holdingServer(options = {}) {
  const gate = createGate({ ...TEST_OPTIONS, ...options });
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/hold') held.push(res);
    else res.end('now');
  });
  gate.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  await gate.ready();
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await gate.dispose();
  });
  const release = (n = held.length) => {
    for (const res of held.splice(0, n)) res.end('released');
  };
  return { gate, port: (server.address() as AddressInfo).port, held, release };
}

/** `n` GET /hold requests on their own connections; resolves to each one's status, Connection header and body. */
function holdRequests(port: number, n: number) {
  return Array.from(
    { length: n },
    () =>
      new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/hold', agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
        });
        req.on('error', reject);
      }),
  );
}

describe('in-flight tracking', () => {
  it('counts 40 requests in flight at once, and each one as it ends, however many ended before', async () => {
    const { gate, port, held, release } = await holdingServer();
    // Many short requests first: closed responses the list must drop, not count.
    for (let i = 0; i < 40; i++) expect((await get(port, '/')).body).toBe('now');
    expect(gate.inflight).toBe(0);
    const answers = holdRequests(port, 40);
    await waitFor(() => held.length === 40, 5000, '40 requests held');
    expect(gate.inflight).toBe(40);
    expect(gate.status().inflight).toBe(40);
    release(25);
    await waitFor(() => gate.inflight === 15, 5000, '15 in flight');
    release();
    await Promise.all(answers);
    await waitFor(() => gate.inflight === 0, 5000, 'none in flight');
  });

  it('waits at shutdown for every request that was in flight when draining began, each with Connection: close', async () => {
    const { gate, port, held, release } = await holdingServer({ minDelay: '0s', maxDelay: '0s', drainTimeout: '5s' });
    const answers = holdRequests(port, 30);
    await waitFor(() => held.length === 30, 5000, '30 requests held');
    let stopped = false;
    const shutdown = gate.shutdown().then((result) => {
      stopped = true;
      return result;
    });
    await sleep(200);
    expect(gate.state).toBe('stopping');
    expect(gate.inflight).toBe(30);
    release(29);
    await sleep(200);
    expect(stopped).toBe(false);
    expect(gate.inflight).toBe(1);
    release();
    const result = await shutdown;
    expect(result.forcedSocketCloses).toBe(0);
    const got = await Promise.all(answers);
    expect(got.every((a) => a.status === 200 && a.body === 'released' && a.connection === 'close')).toBe(true);
  });

  it('tells a second handleRequest of one request from a new request on the same keep-alive connection', async () => {
    const gate = createGate(TEST_OPTIONS);
    cleanups.push(() => gate.dispose());
    const answers: boolean[] = [];
    const server = http.createServer((req, res) => {
      answers.push(handleRequest(gate, req, res), handleRequest(gate, req, res));
      if (!answers.at(-1)) res.end('app');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    });
    await gate.ready();
    const port = (server.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const fetchOn = (path: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
    for (const path of ['/', '/livez', '/', '/readyz', '/']) await fetchOn(path);
    // App, probe, app, probe, app: each request answered the same twice; the probes counted nowhere.
    expect(answers).toEqual([false, false, true, true, false, false, true, true, false, false]);
    expect(gate.status().requestsByPhase.ready).toBe(3);
    await waitFor(() => gate.inflight === 0, 5000, 'none in flight');
  });
});

describe('PeerTraffic total', () => {
  it('is the sum of the peers, second by second, as one rate counting every request would be', () => {
    const T0 = 1_000_000;
    const t = new PeerTraffic();
    const all = new TrafficRate();
    for (let i = 0; i < 300; i++) {
      const at = T0 - 30_000 + i * 97;
      t.record(at, ['10.0.1.1', '10.0.2.1', undefined][i % 3]);
      all.record(at);
    }
    expect(t.total.counts(T0 + 5_000)).toEqual(all.counts(T0 + 5_000));
    expect(t.total.snapshot(T0).rate).toBe(all.snapshot(T0).rate);
    expect(t.lastRequestAt).toBe(all.lastRequestAt);
  });
});

describe('per-connection fast paths', () => {
  it('pathOf(url) === path is what isPathOf says, for the URLs the probes see', () => {
    const urls = [
      '/',
      '/l',
      '/livez',
      '/livez?',
      '/livez?x=1',
      '/livezz',
      '/livez/',
      '/live',
      '/readyz?verbose',
      '/a?/livez',
      '?',
      '/livez#x',
    ];
    for (const path of ['/', '/livez', '/readyz'])
      for (const url of urls) expect(isPathOf(url, path), `${url} against ${path}`).toBe(pathOf(url) === path);
  });

  /**
   * The peer address is read once per connection (on its first request, whatever that request is) and the probes'
   * paths are matched without slicing the query: every application request is still recorded under its connection's
   * peer, probes with a query are answered, LB health checks are recorded as such, and while draining the app's
   * responses say Connection: close and LB checks get 503, on connections that served requests before.
   */
  it('records every app request under its connection peer, answers probes and LB checks, Connection: close while draining', async () => {
    const config = resolveConfig(TEST_OPTIONS); // LB health checks: User-Agent ELB-HealthChecker/, any path
    const lifecycle = new Lifecycle(() => {});
    const traffic = new PeerTraffic();
    const lb = new LbHealthChecks(2);
    let lbFailed = 0;
    const requests = new Requests({
      config,
      lifecycle,
      traffic,
      lb,
      servers: { closeIdle: () => {} },
      checkReadiness: async () => [],
      onLbCheckFailed: () => lbFailed++,
      onSettled: () => {},
    });
    const server = http.createServer((req, res) => {
      if (!requests.handleRequest(req, res)) res.end('app');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    });
    lifecycle.transition('ready', 'test');
    const port = (server.address() as AddressInfo).port;
    // One keep-alive connection per client address (127.0.0.0/8 is all loopback on Linux).
    const agents = ['127.0.0.2', '127.0.0.3'].map((localAddress) => new http.Agent({ keepAlive: true, maxSockets: 1, localAddress }));
    cleanups.push(() => {
      for (const a of agents) a.destroy();
    });
    const send = (agent: http.Agent, path: string, headers: http.OutgoingHttpHeaders = {}) =>
      new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => {
              body += d;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
          })
          .on('error', reject);
      });
    const [a, b] = agents as [http.Agent, http.Agent];
    const elb = { 'user-agent': 'ELB-HealthChecker/2.0' };
    // Connection a begins with a probe (the peer is read then), b with an app request.
    expect(JSON.parse((await send(a, '/livez?x=1')).body)).toMatchObject({ status: 'alive' });
    for (const path of ['/', '/livezz', '/live', '/work?livez']) expect((await send(a, path)).body).toBe('app');
    expect((await send(a, '/health', elb)).body).toBe('app');
    expect((await send(b, '/')).body).toBe('app');
    expect((await send(b, '/readyz?verbose')).body).toBe(JSON.stringify({ status: 'ready', checks: [] }));
    expect((await send(b, '/x?y=1')).body).toBe('app');
    lifecycle.transition('draining', 'test');
    const during = await send(a, '/');
    expect([during.body, during.connection]).toEqual(['app', 'close']);
    expect((await send(b, '/health', elb)).status).toBe(503);
    await waitFor(() => requests.inflight === 0, 5000, 'none in flight');

    const recorded = new Map([...traffic.peers()].map(([peer, rate]) => [peer, sum(rate.counts(monotonicNow() + 2000, 10))]));
    expect(recorded).toEqual(
      new Map([
        ['127.0.0.2', 5],
        ['127.0.0.3', 2],
      ]),
    );
    expect(requests.byPhase).toMatchObject({ ready: 7, draining: 1 });
    expect([lb.pass, lb.fail, lbFailed]).toEqual([1, 1, 1]);
    expect([...lb.sources.keys()].map((s) => s.split(' ')[0])).toEqual(['127.0.0.2', '127.0.0.3']);
  });
});

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
