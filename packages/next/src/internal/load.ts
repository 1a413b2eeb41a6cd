// Finding the app's own Next.js, and what a standalone build needs before it loads.
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The part of Next's custom server (`next(options)`) that @draingate/next uses. */
export interface NextApp {
  prepare(): Promise<void>;
  getRequestHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Runs Next's cleanup: awaits the `after()` / `waitUntil()` work of the requests served. */
  close(): Promise<void>;
}

export type CreateNext = (options: Record<string, unknown> & { dir: string; dev: boolean; httpServer: Server }) => NextApp;

/**
 * `next` as the app in `dir` resolves it (its own copy: in a standalone build, the traced one next to server.js).
 * Throws naming `dir` when there is none.
 */
export function loadNext(dir: string): CreateNext {
  const require = createRequire(join(dir, 'package.json'));
  let mod: unknown;
  try {
    mod = require('next');
  } catch (error) {
    throw new Error(
      `@draingate/next: cannot load the package "next" from option dir (${dir}): ${(error as Error).message.split('\n')[0]}. Install next in the app, or point dir at the Next.js app (or its standalone output).`,
    );
  }
  const create = (typeof mod === 'function' ? mod : (mod as { default?: unknown }).default) as CreateNext | undefined;
  if (typeof create !== 'function') throw new Error(`@draingate/next: the package "next" loaded from ${dir} exports no next() function.`);
  return create;
}

/**
 * A standalone build (`output: 'standalone'`) has no next.config: its generated server.js hands Next the build's
 * config through `__NEXT_PRIVATE_STANDALONE_CONFIG` before Next loads. Returns that config (from
 * `.next/required-server-files.json`) when `dir` holds such a server.js, else `null`.
 */
export function standaloneConfig(dir: string): string | null {
  const serverJs = join(dir, 'server.js');
  if (!existsSync(serverJs) || !readFileSync(serverJs, 'utf8').includes('__NEXT_PRIVATE_STANDALONE_CONFIG')) return null;
  const file = join(dir, '.next', 'required-server-files.json');
  let config: unknown;
  try {
    config = (JSON.parse(readFileSync(file, 'utf8')) as { config?: unknown }).config;
  } catch (error) {
    throw new Error(
      `@draingate/next: ${dir} looks like a standalone build (server.js) but ${file} is unreadable: ${(error as Error).message}`,
    );
  }
  if (config === null || typeof config !== 'object') throw new Error(`@draingate/next: ${file} has no "config" object.`);
  return JSON.stringify(config);
}
