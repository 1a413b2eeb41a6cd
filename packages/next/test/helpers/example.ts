// The Next.js app the tests run: examples/next, built once per set of inputs (examples/next/build.mjs caches the
// .next build under ~/.cache/draingate/next), and a conformance driver that serves it through startNext().
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceDriver, Started, StartOptions } from '@draingate/testkit/conformance';
import { acceptUpgrades, releaseGate, TEST_OPTIONS } from '@draingate/testkit/conformance';
import { type DraingateNext, type GateOptions, startNext } from '../../src/index.js';

export const exampleDir: string = fileURLToPath(new URL('../../../../examples/next/', import.meta.url));
export const exampleServer: string = fileURLToPath(new URL('../../../../examples/next/server.mjs', import.meta.url));

/** Runs examples/next/build.mjs (a cache hit copies .next in well under a second; a miss runs next build). */
export function buildExample(): void {
  const r = spawnSync(process.execPath, [`${exampleDir}build.mjs`], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`examples/next/build.mjs failed (${r.status ?? r.signal}):\n${r.stderr}`);
}

/**
 * A copy of the built example in a temp directory (its .next without the build cache and the standalone output;
 * node_modules linked). Next
 * keeps one server per app directory and process (render-server.ts, `initializations[dir]`), and once closed
 * (`app.close()`, which awaits the after() callbacks) that server cannot serve again: every in-process start gets
 * its own directory, as every pod gets its own process.
 */
export function copyOfExample(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'draingate-next-'));
  const skip = new Set(['.next/cache', '.next/standalone', 'node_modules'].map((p) => join(exampleDir, p)));
  cpSync(exampleDir, dir, { recursive: true, filter: (src) => !skip.has(src.replace(/\/$/, '')) });
  symlinkSync(join(exampleDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface StartedNext extends Started {
  next: DraingateNext;
}

/** examples/next (a copy) through startNext() in this process, on 127.0.0.1 and a free port. */
export async function startExample(options: GateOptions, start: StartOptions = {}): Promise<StartedNext> {
  const copy = copyOfExample();
  const next = await startNext({
    dir: copy.dir,
    port: 0,
    hostname: '127.0.0.1',
    draingate: { ...TEST_OPTIONS, ...options },
    ready: start.ready !== false,
  });
  const { gate, server, app } = next;
  if (start.upgrades) {
    // A stand-in for a WebSocket server on the same server. Next adds its own upgrade listener on the first request
    // it handles (NextCustomServer.setupWebSocketHandler) and ends upgrades on paths its routes match; the test's
    // upgrades come before any request, as a WebSocket server's own clients would on a path Next does not serve.
    acceptUpgrades(server);
  }
  return {
    next,
    gate,
    port: next.port,
    async cleanup() {
      await releaseGate(gate, server, { afterClose: () => app.close() });
      copy.remove();
    },
  };
}

export const nextDriver: ConformanceDriver = {
  name: 'next (custom server, examples/next)',
  protocol: 'http1',
  supportsUpgrade: true,
  start: startExample,
};
