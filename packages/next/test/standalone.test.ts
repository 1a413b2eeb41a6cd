/**
 * Standalone output: startNext() on .next/standalone/<app> (no next.config there) hands Next the build's config,
 * loads the traced next, and behaves under SIGTERM like examples/node-http.
 */
import { fileURLToPath } from 'node:url';
import { expectAcceptance } from '@draingate/testkit/conformance';
import { type Forked, fetchOnce, fork } from '@draingate/testkit/http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from './helpers/example.js';

const fixture = fileURLToPath(new URL('./fixtures/standalone.mjs', import.meta.url));
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});
beforeAll(buildExample);

describe("examples/next's standalone output through startNext()", () => {
  it("serves the page, the route handler and static chunks with the build's config (poweredByHeader: false)", async () => {
    // The first start reads the standalone output's own copy of next from disk: allow more than fork()'s 10 s.
    const f = await fork(fixture, { PORT: '0', HOST: '127.0.0.1' }, 60_000);
    children.push(f);
    const page = await fetchOnce('http1', f.port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>hello world</h1>');
    // Only next.config.mjs turns X-Powered-By off, and the standalone directory has none: the config came through.
    expect(page.headers['x-powered-by']).toBeUndefined();
    const chunk = /src="(\/_next\/static\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(chunk).toBeDefined();
    expect((await fetchOnce('http1', f.port, chunk!)).status).toBe(200);
    const work = await fetchOnce('http1', f.port, '/work?ms=5');
    expect([work.status, JSON.parse(work.body)]).toEqual([200, { worked: 5 }]);
  });

  it('under SIGTERM: /readyz 503 at once, 200 + Connection: close while draining, in-flight /work?ms=1500 completes, exit 0', async () => {
    const f = await expectAcceptance(
      fixture,
      (forked) => {
        children.push(forked);
      },
      60_000,
    );
    expect(f.events.map((e) => e.event)).toEqual(['listening', 'state', 'state', 'state', 'hooks', 'state']);
  });
});
