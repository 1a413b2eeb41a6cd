/**
 * Express-specific behaviour on real sockets: errors in handlers while shutting down, the middleware on its own
 * (no attached server), and independence from middleware order once the server is attached.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_OPTIONS } from '@draingate/testkit/conformance';
import { type Conn, connect, fetchOnce, type Resp, sleep, waitFor } from '@draingate/testkit/http';
import type { NextFunction, Request, Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { draingate } from '../src/index.js';
import { type ExpressFlavour, flavours, type StartedExpress, startExpress } from './helpers/apps.js';

const conns: Conn[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function open(port: number): Conn {
  const c = connect('http1', port);
  conns.push(c);
  return c;
}

/** With an error handler the app also uses the (redundant on an attached server) middleware: both layouts are covered. */
async function start(flavour: ExpressFlavour, options: Parameters<typeof startExpress>[1], errorHandler: boolean): Promise<StartedExpress> {
  const started = await startExpress(flavour, options, { errorHandler, middleware: errorHandler });
  cleanups.push(() => started.cleanup());
  return started;
}

function expectError(r: Resp, message: string, errorHandler: boolean): void {
  expect(r.status).toBe(500);
  expect(r.connectionClose).toBe(true);
  if (errorHandler) expect(JSON.parse(r.body)).toEqual({ error: message });
  else expect(r.headers['content-type']).toMatch(/^text\/html/); // finalhandler's error page
}

for (const flavour of flavours) {
  describe(`@draingate/express with ${flavour.name}`, () => {
    for (const errorHandler of [true, false]) {
      const handler = errorHandler ? 'an error handler, app.use(dg)' : "Express's default error handler";
      it(`errors thrown in handlers while draining (${handler}): answered with Connection: close, in-flight back to 0, no socket left, exit 0`, async () => {
        const { gate, port } = await start(flavour, { minDelay: '3s', maxDelay: '3s', drainTimeout: '2s' }, errorHandler);
        const c = open(port);
        const before = await c.request('/');
        expect(before.status).toBe(200);
        expect(before.connectionClose).toBe(false);
        const done = gate.shutdown();
        expect(gate.state).toBe('draining');

        // A synchronous throw, on a keep-alive connection the LB is reusing.
        const thrown = await c.request('/boom');
        expect(thrown.reused).toBe(true);
        expectError(thrown, 'boom', errorHandler);
        await withTimeout(c.closedPromise, 3000, 'the server to close the connection after the error response');

        // next(err) from a timer, while the request is counted as in flight.
        const later = fetchOnce('http1', port, '/boom-later?ms=400');
        await waitFor(() => gate.inflight === 1, 3000, 'the failing request to be in flight');
        expectError(await later, 'boom later', errorHandler);

        if (flavour.major >= 5) {
          // Express 5 routes a rejected promise to the error handler.
          expectError(await fetchOnce('http1', port, '/boom-async?ms=50'), 'boom async', errorHandler);
        }

        // A throw after the headers went out: Express destroys the socket; the gate must not wait for it.
        const streaming = await fetchOnce('http1', port, '/boom-streaming').catch((e: Error) => e);
        expect(streaming).toBeInstanceOf(Error);

        await waitFor(() => gate.inflight === 0 && gate.connections === 0, 3000, 'in-flight requests and connections to reach 0');
        expect(gate.state).toBe('draining'); // all of the above happened while draining
        expect(gate.status().requestsByPhase.draining).toBe(flavour.major >= 5 ? 4 : 3);
        const result = await done;
        expect(result.exitCode).toBe(0);
        expect(result.forcedSocketCloses).toBe(0);
        expect(gate.state).toBe('stopped');
        expect(gate.inflight).toBe(0);
        expect(gate.connections).toBe(0);
      });
    }

    const slowFailures = flavour.major >= 5 ? ['/boom-later?ms=900', '/boom-async?ms=900'] : ['/boom-later?ms=900'];
    for (const path of slowFailures) {
      it(`a request that fails after stopping began (${path.split('?')[0]}) gets its error response with Connection: close, exit 0`, async () => {
        const { gate, port } = await start(flavour, { minDelay: '100ms', maxDelay: '200ms', drainTimeout: '4s' }, true);
        const slow = open(port).request(path);
        await waitFor(() => gate.inflight === 1, 3000, 'the request to be in flight');
        const done = gate.shutdown();
        await waitFor(() => gate.state === 'stopping', 3000, 'stopping');
        expect(gate.inflight).toBe(1);
        const r = await slow;
        expect(r.status).toBe(500);
        expect(r.connectionClose).toBe(true);
        const result = await done;
        expect(result.exitCode).toBe(0);
        expect(result.forcedSocketCloses).toBe(0);
        expect(gate.inflight).toBe(0);
        expect(gate.connections).toBe(0);
      });
    }

    it('without attach(), the middleware alone answers probes before later middleware, counts in-flight requests and marks responses to close', async () => {
      const dg = draingate({ ...TEST_OPTIONS, minDelay: '2s', maxDelay: '4s' });
      const app = flavour.create();
      app.use(dg);
      app.use((req: Request, res: Response, next: NextFunction) => {
        if (req.headers.authorization === 'yes') next();
        else res.status(401).json({ error: 'unauthorized' });
      });
      app.get('/work', (req: Request, res: Response) => {
        setTimeout(() => res.json({ worked: Number(req.query.ms) }), Number(req.query.ms));
      });
      // A server the gate does not know about (like supertest's): only the middleware sees requests.
      const server = http.createServer(app);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(async () => {
        await dg.gate.dispose();
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
      });
      const { port } = server.address() as AddressInfo;
      const c = open(port);
      expect((await c.request('/readyz')).status).toBe(503);
      await dg.gate.ready();
      expect((await c.request('/readyz')).status).toBe(200);
      expect((await c.request('/livez')).status).toBe(200);
      expect((await c.request('/anything')).status).toBe(401);
      const slow = c.request('/work?ms=400', { authorization: 'yes' });
      await waitFor(() => dg.gate.inflight === 1, 3000, 'the request to be in flight');
      void dg.gate.shutdown();
      const r = await slow;
      expect(r.status).toBe(200);
      expect(r.connectionClose).toBe(true); // headers were not sent yet when draining began
      expect(dg.gate.inflight).toBe(0);
      const during = await fetchOnce('http1', port, '/anything');
      expect(during.status).toBe(401);
      expect(during.connectionClose).toBe(true);
      expect((await fetchOnce('http1', port, '/readyz')).status).toBe(503);
      expect(dg.gate.status().requestsByPhase.draining).toBe(1);
    });

    it('on an attached server, middleware registered before draingate changes nothing: probes, in-flight count, Connection: close', async () => {
      const dg = draingate({ ...TEST_OPTIONS, minDelay: '2s', maxDelay: '2s', drainTimeout: '2s' });
      const app = flavour.create();
      // Mounted before draingate: a guard that rejects everything, and a route that answers early.
      app.get('/early', (req: Request, res: Response) => {
        setTimeout(() => res.json({ early: true }), Number(req.query.ms ?? 0));
      });
      app.use((_req: Request, res: Response) => {
        res.status(401).json({ error: 'unauthorized' });
      });
      app.use(dg);
      const server = dg.attach(http.createServer(app));
      expect(server).toBeInstanceOf(http.Server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      await dg.gate.ready();
      cleanups.push(async () => {
        if (dg.gate.state !== 'stopped') await dg.gate.shutdown();
        await dg.gate.dispose();
      });
      const { port } = server.address() as AddressInfo;
      const c = open(port);
      expect((await c.request('/readyz')).status).toBe(200);
      expect((await c.request('/nothing')).status).toBe(401);
      const slow = c.request('/early?ms=400');
      await waitFor(() => dg.gate.inflight === 1, 3000, 'the early route to be in flight');
      const done = dg.gate.shutdown();
      expect((await fetchOnce('http1', port, '/readyz')).status).toBe(503);
      const early = await slow;
      expect(early.status).toBe(200);
      expect(early.connectionClose).toBe(true);
      const rejected = await fetchOnce('http1', port, '/nothing');
      expect(rejected.status).toBe(401);
      expect(rejected.connectionClose).toBe(true);
      expect(dg.gate.inflight).toBe(0);
      const result = await done;
      expect(result.exitCode).toBe(0);
      expect(result.forcedSocketCloses).toBe(0);
    });
  });
}

describe('draingate() options', () => {
  it('shares a gate given as { gate }, and rejects mixing it with options', async () => {
    const first = draingate({ ...TEST_OPTIONS });
    cleanups.push(() => first.gate.dispose());
    const second = draingate({ gate: first.gate });
    expect(second.gate).toBe(first.gate);
    expect(second).not.toBe(first);
    expect(() => draingate({ gate: first.gate, minDelay: '1s' } as never)).toThrow(
      /either gate options or \{ gate \}, not both \(got minDelay/,
    );
    expect(() => draingate({ gate: {} } as never)).toThrow(/option "gate" must be a gate made by createGate\(\)/);
  });

  it('passes options to the gate, which validates them', () => {
    const dg = draingate({ ...TEST_OPTIONS, maxDelay: '3s', minDelay: '1s' });
    cleanups.push(() => dg.gate.dispose());
    expect(dg.gate.config.maxDelay).toBe(3000);
    expect(dg.gate.config.minDelay).toBe(1000);
    expect(() => draingate({ ...TEST_OPTIONS, maxDelay: 20 } as never)).toThrow(
      expect.objectContaining({ name: 'DraingateConfigError', message: expect.stringMatching(/bare number/) }),
    );
  });
});

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`timed out after ${ms} ms waiting for ${what}`)))]);
}
