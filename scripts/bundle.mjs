// After `tsc -b`: bundles the runtime of each package whose package.json exports point into dist/bundle/ — one
// ESM file per entry point, with the modules its entry points share in one chunk (so that, e.g., @draingate/core
// and @draingate/core/internal share one copy of the gate's private access). Types stay tsc's (dist/*.d.ts).
//
// Why: on Node 20 the ESM loader reads every module file through fs/promises, one FileHandle (an EventEmitter) per
// file. @draingate/core was 31 files: enough new EventEmitter instances at start-up for Node's shared
// EventEmitter code (its constructor, `emit`) to turn megamorphic, which every request of the process then pays
// for in Node's own IncomingMessage/ServerResponse construction: +0.9 % / +1.1 % instructions per request on
// node:http at 1 / 50 connections (bench/overhead-instructions.mjs --variants bare,imported: the package imported
// and not used). Bundled, importing it costs no request anything; it also loads faster.
//
//   node scripts/bundle.mjs            (the root `build` script runs it after tsc -b)
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { rolldown } from 'rolldown';

const BUNDLE_DIR = './dist/bundle/';
const root = new URL('../packages/', import.meta.url).pathname;

/** The runtime file of each export that points into dist/bundle/, keyed by entry name ('index', 'internal'). */
function bundledEntries(pkg) {
  const entries = {};
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    const file = typeof target === 'string' ? target : target?.default;
    if (typeof file !== 'string' || !file.startsWith(BUNDLE_DIR)) continue;
    const name = file.slice(BUNDLE_DIR.length).replace(/\.js$/, '');
    if (name.includes('/')) throw new Error(`${pkg.name}: export ${key} -> ${file}: a bundle entry lives directly in ${BUNDLE_DIR}`);
    // tsc's output of the same entry: dist/bundle/index.js bundles dist/index.js.
    entries[name] = `./dist/${name}.js`;
  }
  return entries;
}

let count = 0;
for (const dir of readdirSync(root)) {
  const manifest = join(root, dir, 'package.json');
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  const input = bundledEntries(pkg);
  if (Object.keys(input).length === 0) continue;
  if (pkg.main && pkg.main !== pkg.exports['.']?.default) {
    throw new Error(`${pkg.name}: "main" (${pkg.main}) must be the "." export's default (${pkg.exports['.']?.default})`);
  }
  const cwd = join(root, dir);
  const out = join(cwd, BUNDLE_DIR);
  rmSync(out, { recursive: true, force: true });
  const bundle = await rolldown({
    cwd,
    input,
    // Only the package's own modules: its dependencies (@draingate/core, fastify, prom-client, node:*) stay imports.
    external: (id) => !id.startsWith('.') && !isAbsolute(id),
    platform: 'node',
    treeshake: true,
  });
  // Not minified: the source stays readable (names, doc comments), a stack trace through draingate is worth reading.
  await bundle.write({ dir: out, format: 'esm', minify: false, chunkFileNames: 'shared-[name].js' });
  await bundle.close();
  count++;
}
if (count === 0) throw new Error('scripts/bundle.mjs: no package exports a dist/bundle/ entry');
