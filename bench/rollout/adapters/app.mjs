// The service every peer adapter runs: the examples' routes (GET /, GET /work?ms=N) on Express 5, and the
// start-up line the kubelet emulation reads. Idle keep-alive sockets are kept 65 s, above the load balancer's
// 60 s idle timeout, in every adapter (the well-known ALB fix, independent of shutdown handling), so that the
// table compares shutdown handling only.
import express from 'express';

export const port = Number(process.env.PORT ?? 3000);

export function expressApp() {
  const app = express();
  app.get('/', (_req, res) => {
    res.json({ hello: 'world', pid: process.pid });
  });
  app.get('/work', (req, res) => {
    const ms = Math.min(Math.max(Number(req.query.ms) || 0, 0), 60_000);
    setTimeout(() => res.json({ worked: ms }), ms);
  });
  return app;
}

/** `app.listen` on 127.0.0.1:PORT with the ALB keep-alive setting; prints the start-up line. */
export function listen(app, onListening) {
  const server = app.listen(port, '127.0.0.1', (error) => {
    if (error) throw error;
    console.log(JSON.stringify({ event: 'listening', port: server.address().port, pid: process.pid }));
    onListening?.(server);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

export function log(event, fields = {}) {
  console.log(JSON.stringify({ event, at: Date.now(), ...fields }));
}
