/**
 * The load generator's classification of outcomes, against real servers on 127.0.0.1: a request counts as 'ok'
 * only when the whole 2xx answer arrived. A failure it called 'ok' would hide a failed request in every rollout.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLoad } from '../rollout/load.mjs';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function outcomes(port: number): Promise<Record<string, number>> {
  const load = startLoad({ port, rate: 50, connections: 4, timeout: 5000 });
  await new Promise((r) => setTimeout(r, 600));
  const records = await load.stop();
  const n: Record<string, number> = {};
  for (const r of records) n[r.outcome] = (n[r.outcome] ?? 0) + 1;
  return n;
}

describe('startLoad outcomes', () => {
  it('a complete 200 answer is ok', { timeout: 20_000 }, async () => {
    const port = await serve((_req, res) => {
      res.end('{"ok":true}');
    });
    const n = await outcomes(port);
    expect(Object.keys(n)).toEqual(['ok']);
    expect(n.ok).toBeGreaterThan(5);
  });

  it('a 200 whose body is cut off by a reset is a failure (reset), not ok', { timeout: 20_000 }, async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const n = await outcomes(port);
    expect(n.ok, JSON.stringify(n)).toBeUndefined();
    expect(n.reset, JSON.stringify(n)).toBeGreaterThan(5);
  });

  it('requests the rate called for but a stalled event loop did not send are counted as dropped', { timeout: 20_000 }, async () => {
    const port = await serve((_req, res) => {
      res.end('{"ok":true}');
    });
    const load = startLoad({ port, rate: 200, connections: 4, timeout: 5000 });
    await new Promise((r) => setTimeout(r, 200));
    const until = Date.now() + 300;
    while (Date.now() < until); // the harness's event loop stalls for 300 ms
    await new Promise((r) => setTimeout(r, 200));
    const records = await load.stop();
    expect(load.dropped).toBeGreaterThan(20);
    expect(records.length + load.dropped).toBe(load.sent);
  });

  it('a 503 answer is counted by its status', { timeout: 20_000 }, async () => {
    const port = await serve((_req, res) => {
      res.writeHead(503).end();
    });
    const n = await outcomes(port);
    expect(Object.keys(n)).toEqual(['HTTP 503']);
  });
});
