import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConformanceDriver, Started, StartOptions } from '@draingate/testkit/conformance';
import { acceptUpgrades, releaseGate, TEST_OPTIONS } from '@draingate/testkit/conformance';
import type { Express, NextFunction, Request, Response } from 'express';
import express4 from 'express4';
import express5 from 'express5';
import { type DraingateMiddleware, draingate, type GateOptions } from '../../src/index.js';

export interface ExpressFlavour {
  name: 'express 4' | 'express 5';
  major: 4 | 5;
  create: () => Express;
}

export const express4Flavour: ExpressFlavour = { name: 'express 4', major: 4, create: () => express4() };
export const express5Flavour: ExpressFlavour = { name: 'express 5', major: 5, create: () => express5() };
export const flavours: readonly ExpressFlavour[] = [express4Flavour, express5Flavour];

export interface AppOptions {
  /** Register a JSON error handler (else Express's default one, finalhandler, answers errors). */
  errorHandler?: boolean;
  /** Also `app.use(dg)` first (not needed on an attached server). */
  middleware?: boolean;
}

/**
 * The example app's routes as Express routes (`GET /`, `GET /work?ms=N`, JSON 404), plus routes that fail:
 * `/boom` throws synchronously, `/boom-later?ms=N` calls `next(err)` after N ms, `/boom-async?ms=N` rejects
 * after N ms (Express 5 only: Express 4 does not catch rejections), `/boom-streaming` throws after the
 * headers went out.
 */
export function buildApp(flavour: ExpressFlavour, dg: DraingateMiddleware, options: AppOptions = {}): Express {
  const app = flavour.create();
  if (options.middleware) app.use(dg);
  app.get('/', (_req, res) => {
    res.json({ hello: 'world' });
  });
  app.get('/work', (req, res) => {
    const ms = Number(req.query.ms ?? 0);
    const timer = setTimeout(() => res.json({ worked: ms }), ms);
    res.once('close', () => clearTimeout(timer));
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/boom-later', (req: Request, _res: Response, next: NextFunction) => {
    setTimeout(() => next(new Error('boom later')), Number(req.query.ms ?? 0));
  });
  if (flavour.major >= 5) {
    app.get('/boom-async', async (req: Request) => {
      await new Promise((r) => setTimeout(r, Number(req.query.ms ?? 0)));
      throw new Error('boom async');
    });
  }
  app.get('/boom-streaming', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial ');
    throw new Error('boom after the headers');
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });
  if (options.errorHandler) {
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ error: error.message });
    });
  }
  return app;
}

export interface StartedExpress extends Started {
  dg: DraingateMiddleware;
  server: http.Server;
}

/** Starts an Express app the documented way: `dg.attach(app.listen(...))`. */
export async function startExpress(
  flavour: ExpressFlavour,
  options: GateOptions,
  start: StartOptions & AppOptions = {},
): Promise<StartedExpress> {
  const dg = draingate({ ...TEST_OPTIONS, ...options });
  const app = buildApp(flavour, dg, start);
  const { gate } = dg;
  const server = await new Promise<http.Server>((resolve, reject) => {
    const s: http.Server = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
    dg.attach(s);
    if (start.upgrades) acceptUpgrades(s); // Express does not handle upgrades
  });
  if (start.ready !== false) await gate.ready();
  return {
    dg,
    server,
    gate,
    port: (server.address() as AddressInfo).port,
    cleanup: () => releaseGate(gate, server),
  };
}

export function driverFor(flavour: ExpressFlavour): ConformanceDriver {
  return {
    name: flavour.name,
    protocol: 'http1',
    supportsUpgrade: true,
    start: (options, start) => startExpress(flavour, options, start),
  };
}
