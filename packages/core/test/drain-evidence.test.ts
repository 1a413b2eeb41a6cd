/** Each evidence source ends draining when it should, and not before minDelay (DESIGN §3), on real sockets. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Started } from '@draingate/testkit/conformance';
import { connect, sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import type { GateOptions, SidecarStatus } from '../src/index.js';
import { nodeHttp } from './helpers/servers.js';

let started: Started | null = null;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  await started?.cleanup();
  started = null;
});

async function start(options: GateOptions) {
  started = await nodeHttp.start(options);
  return started;
}

/** Steady traffic over one keep-alive connection: `rps` requests per second until stopped (bounded). */
function steadyTraffic(port: number, rps: number, maxMs = 15_000) {
  const conn = connect('http1', port);
  let stop = false;
  let sent = 0;
  const t0 = Date.now();
  const loop = (async () => {
    while (!stop && Date.now() - t0 < maxMs && sent < rps * 20) {
      sent++;
      await conn.request('/').catch(() => {});
      await sleep(1000 / rps);
    }
  })();
  closers.push(() => {
    stop = true;
    conn.close();
  });
  return {
    async stop() {
      stop = true;
      await loop;
      conn.close();
    },
  };
}

function sidecarStub(): Promise<{ url: string; deregister(): void; requests: () => number }> {
  let deregistered = false;
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const body: SidecarStatus = {
      apiVersion: 'draingate.io/v1',
      source: 'aws',
      gate: { conditionType: 'draingate.io/lb-ready', status: 'True', reason: 'TargetHealthy', message: null, lastTransitionTime: null },
      deregistered,
      deregisteredAt: deregistered ? new Date().toISOString() : null,
      targets: [
        {
          targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/t/1',
          id: '10.0.0.7',
          port: 8080,
          state: deregistered ? 'draining' : 'healthy',
        },
      ],
      lastError: null,
    };
    res.writeHead(req.url === '/v1/status' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  closers.push(() => {
    server.close();
    server.closeAllConnections();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        deregister: () => {
          deregistered = true;
        },
        requests: () => requests,
      }),
    ),
  );
}

describe('drain evidence', () => {
  it('sidecar: ends once the sidecar reports the target deregistered, not before', async () => {
    const sidecar = await sidecarStub();
    const { gate } = await start({ minDelay: '200ms', maxDelay: '8s', sidecarUrl: sidecar.url, sidecarPollInterval: '100ms' });
    const t0 = Date.now();
    const done = gate.shutdown();
    await sleep(1000);
    expect(gate.state).toBe('draining'); // the sidecar still says "healthy"
    expect(sidecar.requests()).toBeGreaterThanOrEqual(3);
    sidecar.deregister();
    const result = await done;
    expect(result.evidence).toMatchObject({ kind: 'sidecar', strength: 'strong' });
    const afterMs = result.evidence!.afterMs;
    expect(afterMs).toBeGreaterThanOrEqual(1000);
    expect(afterMs).toBeLessThan(4000);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(gate.status().sidecar?.last?.deregistered).toBe(true);
  });

  it('sidecar: a deregistered report does not end draining before minDelay', async () => {
    const sidecar = await sidecarStub();
    sidecar.deregister();
    const { gate } = await start({ minDelay: '800ms', maxDelay: '8s', sidecarUrl: sidecar.url, sidecarPollInterval: '100ms' });
    const result = await gate.shutdown();
    expect(result.evidence?.kind).toBe('sidecar');
    expect(result.evidence!.afterMs).toBeGreaterThanOrEqual(800);
    expect(result.evidence!.afterMs).toBeLessThan(3000);
  });

  it('sidecar unreachable: falls back to maxDelay and says why on /status', async () => {
    const { gate } = await start({ minDelay: '100ms', maxDelay: '1s', sidecarUrl: 'http://127.0.0.1:1', sidecarPollInterval: '100ms' });
    const result = await gate.shutdown();
    expect(result.evidence?.kind).toBe('max-delay');
    expect(gate.status().sidecar?.error).toBeTruthy();
  });

  it('quiet period: ends after traffic stops when the rate before draining was significant', async () => {
    const { gate, port } = await start({ minDelay: '300ms', maxDelay: '10s', quietPeriod: '1s', quietMinRequests: 10 });
    const traffic = steadyTraffic(port, 40); // 40 req/s × 1 s = 40 expected ≥ 10
    await sleep(3300); // three complete seconds of steady history at least
    const done = gate.shutdown();
    await sleep(800); // the LB keeps sending for a while...
    expect(gate.state).toBe('draining');
    await traffic.stop(); // ...then stops
    const stoppedAt = Date.now();
    const result = await done;
    expect(result.evidence).toMatchObject({ kind: 'quiet-period', strength: 'weak' });
    const status = gate.status();
    expect(status.drain?.quietPeriod.significant).toBe(true);
    const endedAt = Date.parse(status.drain!.endedAt!);
    expect(endedAt - stoppedAt).toBeGreaterThanOrEqual(900);
    expect(endedAt - stoppedAt).toBeLessThan(4000);
  });

  it('quiet period: silence on a low-traffic service proves nothing (falls back to maxDelay)', async () => {
    const { gate, port } = await start({ minDelay: '100ms', maxDelay: '2500ms', quietPeriod: '500ms', quietMinRequests: 10 });
    const c = connect('http1', port);
    closers.push(() => c.close());
    await c.request('/'); // a single request: ~1 req/s at most, 0.5 expected in 500 ms
    const result = await gate.shutdown();
    expect(result.evidence?.kind).toBe('max-delay');
    expect(gate.status().drain?.quietPeriod.significant).toBe(false);
  });

  it('fixed delay: ends at the delay when nothing else is known', async () => {
    const { gate } = await start({ minDelay: '100ms', delay: '700ms', maxDelay: '5s' });
    const result = await gate.shutdown();
    expect(result.evidence).toMatchObject({ kind: 'fixed-delay', strength: 'none' });
    expect(result.evidence!.afterMs).toBeGreaterThanOrEqual(700);
    expect(result.evidence!.afterMs).toBeLessThan(2500);
  });

  it('maxDelay: ends at maxDelay without evidence, and /status says so', async () => {
    const { gate } = await start({ minDelay: '100ms', maxDelay: '600ms' });
    const result = await gate.shutdown();
    expect(result.evidence?.kind).toBe('max-delay');
    expect(result.evidence!.afterMs).toBeGreaterThanOrEqual(600);
    expect(gate.status().drain?.evidence?.kind).toBe('max-delay');
  });
});
