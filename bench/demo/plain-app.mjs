// The request handler of the demo's comparison servers (naive.mjs, fixed-sleep.mjs): the example's routes,
// GET / and GET /work?ms=N, and a /readyz that always says 200, as an app without draingate would.
export function plainApp(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const ms = url.pathname === '/work' ? Math.min(Number(url.searchParams.get('ms')) || 0, 60_000) : 0;
  const status = url.pathname === '/' || url.pathname === '/work' || url.pathname === '/readyz' ? 200 : 404;
  setTimeout(() => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { ok: true } : { error: 'not found' }));
  }, ms);
}
