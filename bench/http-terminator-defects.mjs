// Measures how http-terminator@3.2.0 and @draingate/core stop a node:http (HTTP/1.1) server, side by side.
//
// Why: the project was told to use http-terminator for stopping HTTP/1 servers unless a defect is measured.
// draingate uses Node's own mechanisms instead (server.close() + server.closeIdleConnections(), which know the
// HTTP parser's state of each connection). This script measures, on 127.0.0.1 with real sockets and raw
// HTTP/1.1 bytes, what each one does in five scenarios:
//
//   1. request bytes in flight: a keep-alive connection has sent part of its second request's head (not yet
//      dispatched to the app) when stopping starts; the rest arrives 50 ms later. Served, or cut?
//   2. upgraded socket (WebSocket): the app wants to write 'bye' on its upgraded sockets 100 ms after stopping
//      starts (draingate: scheduled from gate.on('drain'); http-terminator has no such event, so scheduled from
//      the terminate() call). When is the socket closed, and did the client receive 'bye'?
//   3. new connection during the grace wait: a 1 s request is in flight; 100 ms after stopping starts a new
//      client connects and sends a request. Refused (ECONNREFUSED), accepted then cut, or served?
//   4. in-flight request completes: a 500 ms request is in flight when stopping starts. 200 + Connection: close?
//   5. time to stop with 20 idle keep-alive connections and nothing in flight: from the start of stopping until
//      the server emits 'close' (and until terminate() / shutdown() resolves).
//
// (a) http-terminator: createHttpTerminator({ server, gracefulTerminationTimeout: 2000 }).terminate()
// (b) draingate: createGate({ minDelay: '0s', maxDelay: '0s', drainTimeout: '2s', hooksTimeout: '0s', ... }),
//     gate.attach(server), gate.shutdown(): no draining delay, so it is the stop phase that is measured.
//
// All times are milliseconds since terminate() / shutdown() was called. Each scenario run has its own server on
// an ephemeral port, is bounded by SCENARIO_TIMEOUT_MS (reported as "timeout") and is cleaned up before the
// next. Prints one table.
//
// Run from the repository root, after `./run test` (or `pnpm install && pnpm build`, which builds
// packages/core/dist):
//
//   node bench/http-terminator-defects.mjs
//
// Uses only Node built-ins, http-terminator and @draingate/core.

import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGate } from '@draingate/core';
import { createHttpTerminator } from 'http-terminator';

const HOST = '127.0.0.1';
const GRACE_MS = 2000;
const SCENARIO_TIMEOUT_MS = 5000;
const POLL_MS = 5;
const IMPLS = ['http-terminator', 'draingate'];

// ------------------------------------------------------------------------------------------------ harness

/** Everything one scenario run opened, so that it can be cleaned up whatever happened. */
class Context {
  constructor() {
    this.servers = [];
    this.gates = [];
    this.sockets = new Set();
    this.timers = new Set();
    this.controller = new AbortController();
    this.t0 = null;
  }

  get signal() {
    return this.controller.signal;
  }

  /** Milliseconds since stopping started (null before). */
  since() {
    return this.t0 === null ? null : performance.now() - this.t0;
  }

  /** A timer that cleanup clears. */
  later(ms, fn) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  sleep(ms) {
    return sleep(ms, undefined, { signal: this.signal });
  }

  /** Polls `predicate` every POLL_MS, at most `timeoutMs` (bounded in count and time). Resolves to its last value. */
  async waitFor(predicate, timeoutMs) {
    const tries = Math.ceil(timeoutMs / POLL_MS);
    for (let i = 0; i < tries; i++) {
      if (predicate()) return true;
      await this.sleep(POLL_MS);
    }
    return predicate();
  }

  async cleanup() {
    this.controller.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    const closing = this.servers.map(
      (server) =>
        new Promise((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const bound = sleep(1000, 'cleanup timeout', { ref: false });
    await Promise.race([Promise.all(closing), bound]);
    for (const gate of this.gates) await gate.dispose();
  }
}

/**
 * An http server on 127.0.0.1 stopped by `impl`. `stop()` starts the clock (ctx.t0) and starts stopping;
 * `closedAt` is when the server emitted 'close', `stopResolvedAt` when terminate() / shutdown() resolved.
 */
async function startServer(ctx, impl, handler) {
  const server = http.createServer(handler);
  ctx.servers.push(server);
  const s = { server, gate: null, port: 0, closedAt: null, stopResolvedAt: null, stopResult: null, stopError: null, stopped: null };
  let stopFn;
  if (impl === 'http-terminator') {
    const terminator = createHttpTerminator({ server, gracefulTerminationTimeout: GRACE_MS });
    stopFn = () => terminator.terminate();
  } else {
    const gate = createGate({
      signals: false,
      exit: false,
      logger: false,
      metrics: false,
      env: {},
      minDelay: '0s',
      maxDelay: '0s',
      drainTimeout: `${GRACE_MS / 1000}s`,
      hooksTimeout: '0s',
      gracePeriod: '10s',
    });
    ctx.gates.push(gate);
    gate.attach(server);
    void gate.ready();
    s.gate = gate;
    stopFn = () => gate.shutdown();
  }
  server.once('close', () => {
    s.closedAt = ctx.since();
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  s.port = server.address().port;
  s.stop = () => {
    ctx.t0 = performance.now();
    s.stopped = Promise.resolve()
      .then(stopFn)
      .then(
        (result) => {
          s.stopResolvedAt = ctx.since();
          s.stopResult = result ?? null;
        },
        (error) => {
          s.stopError = error?.message ?? String(error);
        },
      );
    return s.stopped;
  };
  return s;
}

/** Parses complete HTTP/1.1 responses (Content-Length bodies, or a 101 after which the bytes are raw). */
function parseResponses(buffer) {
  const responses = [];
  let rest = buffer;
  for (let i = 0; i < 100; i++) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (status === 101) {
      responses.push({ status, headers, body: '', raw: rest.subarray(end + 4) });
      rest = Buffer.alloc(0);
      break;
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) break;
    responses.push({ status, headers, body: rest.subarray(end + 4, end + 4 + length).toString('latin1') });
    rest = rest.subarray(end + 4 + length);
  }
  return responses;
}

/** A raw TCP client that records what it receives and when it closes. */
function rawClient(ctx, port) {
  const socket = net.connect({ port, host: HOST });
  ctx.sockets.add(socket);
  const c = {
    socket,
    connected: false,
    buffer: Buffer.alloc(0),
    error: null,
    dataAt: null,
    endAt: null,
    closeAt: null,
    closed: false,
    get responses() {
      return parseResponses(c.buffer);
    },
    /** After a 101: the raw bytes the server sent on the upgraded socket. */
    get upgradedData() {
      const r = c.responses[0];
      return r?.status === 101 ? r.raw.toString('latin1') : '';
    },
  };
  socket.on('connect', () => {
    c.connected = true;
  });
  socket.on('data', (chunk) => {
    c.buffer = Buffer.concat([c.buffer, chunk]);
    c.dataAt = ctx.since();
  });
  socket.on('error', (error) => {
    c.error ??= error.code ?? error.message;
  });
  socket.on('end', () => {
    c.endAt = ctx.since();
  });
  socket.on('close', () => {
    c.closeAt = ctx.since();
    c.closed = true;
  });
  return c;
}

function ms(value) {
  return value === null || value === undefined ? '-' : `${Math.round(value)} ms`;
}

function ms1(value) {
  return value === null || value === undefined ? '-' : `${value.toFixed(1)} ms`;
}

/** How a client connection ended without (another) response. */
function howCut(c) {
  const how = c.error ? c.error : c.endAt !== null ? 'FIN' : 'closed';
  return `${how} at ${ms(c.closeAt ?? c.endAt)}`;
}

// ------------------------------------------------------------------------------------------------ scenarios

/** 1. Part of a second request's head is in the server's parser (not yet dispatched) when stopping starts. */
async function requestBytesInFlight(ctx, impl) {
  const urls = [];
  const s = await startServer(ctx, impl, (req, res) => {
    urls.push(req.url);
    res.end('ok');
  });
  const c = rawClient(ctx, s.port);
  if (!(await ctx.waitFor(() => c.connected, 1000))) return `setup failed: could not connect (${c.error})`;
  c.socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
  if (!(await ctx.waitFor(() => c.responses.length === 1, 1000))) return 'setup failed: no first response';
  c.socket.write('GET /second HTTP/1.1\r\nHost: x\r\n');
  // Let the server read the partial head into its parser before stopping starts.
  await ctx.sleep(50);
  if (c.closed) return 'setup failed: connection closed before stopping';
  void s.stop();
  let restWritten = false;
  ctx.later(50, () => {
    if (!c.socket.destroyed && c.socket.writable) {
      c.socket.write('\r\n');
      restWritten = true;
    }
  });
  await ctx.waitFor(() => c.closed || c.responses.length >= 2, 3000);
  await ctx.waitFor(() => c.closed, 500);
  await ctx.waitFor(() => s.stopResolvedAt !== null || s.stopError !== null, 3000);
  const second = c.responses[1];
  if (second) {
    const conn = second.headers.connection ?? '(none)';
    const closed = c.closed ? `, then closed at ${ms(c.closeAt)}` : ', connection still open';
    return `served: ${second.status}, Connection: ${conn}${closed}`;
  }
  const rest = restWritten ? 'rest of head sent at 50 ms' : 'rest of head never sent';
  const seen = urls.includes('/second') ? 'app saw /second' : 'app never saw /second';
  const result = s.stopResult ? `; shutdown: exitCode ${s.stopResult.exitCode}, forcedSocketCloses ${s.stopResult.forcedSocketCloses}` : '';
  return `cut, no response: ${howCut(c)} (${rest}; ${seen}${result})`;
}

/** 2. An upgraded (WebSocket) socket; the app writes 'bye' and ends it 100 ms after stopping starts. */
async function upgradedSocket(ctx, impl) {
  const upgraded = new Set();
  // What the app holds (a WebSocket library keeps its clients until it sees 'close').
  const appSockets = [];
  const app = { attempts: 0, wrote: 0, drainAt: null };
  const s = await startServer(ctx, impl, (_req, res) => res.end('ok'));
  s.server.on('upgrade', (_req, socket) => {
    socket.on('error', () => {});
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    upgraded.add(socket);
    appSockets.push(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
  const goodbye = (sockets) => {
    for (const socket of sockets) {
      app.attempts++;
      if (!socket.destroyed && socket.writable) {
        socket.end('bye');
        app.wrote++;
      }
    }
  };
  if (s.gate) {
    s.gate.on('drain', ({ sockets }) => {
      app.drainAt = ctx.since();
      ctx.later(100, () => goodbye(sockets));
    });
  }
  const c = rawClient(ctx, s.port);
  if (!(await ctx.waitFor(() => c.connected, 1000))) return `setup failed: could not connect (${c.error})`;
  c.socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  if (!(await ctx.waitFor(() => c.responses[0]?.status === 101 && upgraded.size === 1, 1000))) return 'setup failed: no 101';
  void s.stop();
  // http-terminator has no event for upgraded sockets: the app schedules its goodbye from the terminate() call.
  if (!s.gate) ctx.later(100, () => goodbye(appSockets));
  await ctx.waitFor(() => c.closed, GRACE_MS + 1000);
  // Even if the socket is already gone, give the app its 100 ms turn (and the client time to read what it wrote).
  await ctx.waitFor(() => app.attempts > 0, 1000);
  await ctx.waitFor(() => c.closed, 200);
  await ctx.waitFor(() => s.stopResolvedAt !== null || s.stopError !== null, 1000);
  const bye = c.upgradedData.includes('bye');
  const write =
    app.attempts === 0 ? 'app never tried' : app.wrote > 0 ? 'app wrote at 100 ms' : 'app write at 100 ms: socket already destroyed';
  const drain = s.gate ? `, 'drain' event at ${ms(app.drainAt)}` : '';
  if (!c.closed) return `socket still open after ${ms(ctx.since())}; 'bye' received: ${bye ? 'yes' : 'no'} (${write}${drain})`;
  return `closed at ${ms(c.closeAt)}; 'bye' received: ${bye ? 'yes' : 'no'} (${write}${drain})`;
}

/** 3. A 1 s request is in flight; 100 ms after stopping starts a new client connects and sends a request. */
async function newConnectionDuringWait(ctx, impl) {
  let slowSeen = false;
  const s = await startServer(ctx, impl, (req, res) => {
    if (req.url === '/slow') {
      slowSeen = true;
      ctx.later(1000, () => res.end('slow ok'));
    } else {
      res.end('ok');
    }
  });
  const slow = rawClient(ctx, s.port);
  if (!(await ctx.waitFor(() => slow.connected, 1000))) return `setup failed: could not connect (${slow.error})`;
  slow.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  if (!(await ctx.waitFor(() => slowSeen, 1000))) return 'setup failed: slow request not dispatched';
  void s.stop();
  await ctx.sleep(100);
  const listening = s.server.listening;
  const fresh = rawClient(ctx, s.port);
  fresh.socket.on('connect', () => fresh.socket.write('GET /new HTTP/1.1\r\nHost: x\r\n\r\n'));
  await ctx.waitFor(() => fresh.closed || fresh.responses.length > 0, 2000);
  await ctx.waitFor(() => slow.closed || slow.responses.length > 0, 2000);
  let outcome;
  if (fresh.responses[0]) outcome = `served: ${fresh.responses[0].status}`;
  else if (!fresh.connected) outcome = `refused: ${fresh.error ?? 'closed'} (listener closed)`;
  else outcome = `accepted, then cut without response: ${howCut(fresh)}`;
  const slowOutcome = slow.responses[0] ? `${slow.responses[0].status} at ${ms(slow.dataAt)}` : howCut(slow);
  return `${outcome}; listener open at 100 ms: ${listening ? 'yes' : 'no'}; slow request: ${slowOutcome}`;
}

/** 4. A 500 ms request is in flight when stopping starts. */
async function inflightCompletes(ctx, impl) {
  let seen = false;
  const s = await startServer(ctx, impl, (_req, res) => {
    seen = true;
    ctx.later(500, () => res.end('done'));
  });
  const c = rawClient(ctx, s.port);
  if (!(await ctx.waitFor(() => c.connected, 1000))) return `setup failed: could not connect (${c.error})`;
  c.socket.write('GET /work HTTP/1.1\r\nHost: x\r\n\r\n');
  if (!(await ctx.waitFor(() => seen, 1000))) return 'setup failed: request not dispatched';
  void s.stop();
  await ctx.waitFor(() => c.closed, GRACE_MS + 1000);
  await ctx.waitFor(() => s.stopResolvedAt !== null || s.stopError !== null, 1000);
  const r = c.responses[0];
  if (!r) return `cut, no response: ${howCut(c)}`;
  const closed = c.closed ? `connection closed at ${ms(c.closeAt)}` : 'connection still open';
  return `${r.status}, Connection: ${r.headers.connection ?? '(none)'}; ${closed}; stop resolved at ${ms(s.stopResolvedAt)}`;
}

/** 5. 20 idle keep-alive connections, nothing in flight: how long until the server is fully closed? */
async function idleKeepAlive(ctx, impl) {
  const s = await startServer(ctx, impl, (_req, res) => res.end('ok'));
  const clients = [];
  for (let i = 0; i < 20; i++) clients.push(rawClient(ctx, s.port));
  if (!(await ctx.waitFor(() => clients.every((c) => c.connected), 1000))) return 'setup failed: could not connect';
  for (const c of clients) c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  if (!(await ctx.waitFor(() => clients.every((c) => c.responses.length === 1), 1000))) return 'setup failed: no responses';
  if (clients.some((c) => c.closed)) return 'setup failed: a connection closed before stopping';
  void s.stop();
  await ctx.waitFor(() => s.closedAt !== null && clients.every((c) => c.closed), GRACE_MS + 1000);
  await ctx.waitFor(() => s.stopResolvedAt !== null || s.stopError !== null, 1000);
  if (s.closedAt === null) return `server not closed after ${ms(ctx.since())}`;
  const closedClients = clients.filter((c) => c.closed);
  const lastClient = Math.max(...closedClients.map((c) => c.closeAt));
  return `server 'close' at ${ms1(s.closedAt)}, stop resolved at ${ms1(s.stopResolvedAt)}; ${closedClients.length}/20 clients closed, last at ${ms1(lastClient)}`;
}

const SCENARIOS = [
  ['1. request bytes in flight', requestBytesInFlight],
  ['2. upgraded socket (WebSocket)', upgradedSocket],
  ['3. new connection during the grace wait', newConnectionDuringWait],
  ['4. in-flight request completes (500 ms)', inflightCompletes],
  ['5. time to stop, 20 idle keep-alive conns', idleKeepAlive],
];

// ------------------------------------------------------------------------------------------------ run

async function measure(run, impl) {
  const ctx = new Context();
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), SCENARIO_TIMEOUT_MS);
  });
  try {
    const outcome = run(ctx, impl).catch((error) => (ctx.signal.aborted ? 'timeout' : `error: ${error?.message ?? String(error)}`));
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
    await ctx.cleanup();
  }
}

function printTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

const rows = [];
for (const [name, run] of SCENARIOS) {
  const outcomes = [];
  for (const impl of IMPLS) outcomes.push(await measure(run, impl));
  rows.push([name, ...outcomes]);
}
console.log(
  `http-terminator 3.2.0 (gracefulTerminationTimeout ${GRACE_MS} ms) vs @draingate/core (drainTimeout ${GRACE_MS / 1000}s, no delays), Node ${process.version}; times since stopping started`,
);
printTable(['scenario', 'http-terminator outcome', 'draingate outcome'], rows);
// Exit even if a socket or timer that cleanup missed would keep the process alive.
setTimeout(() => process.exit(), 1000).unref();
