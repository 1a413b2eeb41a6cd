// Builds the example (`next build`) once per set of inputs and keeps the result outside the clone, as
// test/k8s/build.sh does for the Kubernetes binaries:
//
//   ${DRAINGATE_NEXT_CACHE:-~/.cache/draingate/next}/<key>/.next
//
// <key> = first 16 hex chars of sha256 over: this script, next.config.mjs, package.json, every file under app/,
// the installed next, react and react-dom versions, and this directory's absolute path (.next's
// required-server-files.json records it). A hit copies the cached .next here (a few seconds at most); a miss runs
// `next build` (~35 s of CPU), then stores .next (without its build cache) under the key with one rename.
// `.next/draingate-build-key` records which key the .next here was made from: nothing is done when it matches.
// The build has standalone output too (.next/standalone/examples/next/server.js, with .next/static copied next
// to it). Prints the key as the last stdout line; progress goes to stderr.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(join(here, 'package.json'));
const log = (s) => process.stderr.write(`[next-build ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

const hash = createHash('sha256');
for (const file of [join(here, 'build.mjs'), join(here, 'next.config.mjs'), join(here, 'package.json'), ...files(join(here, 'app'))]) {
  hash
    .update(`${relative(here, file)}\0`)
    .update(readFileSync(file))
    .update('\0');
}
for (const pkg of ['next', 'react', 'react-dom']) hash.update(`${pkg}@${require(`${pkg}/package.json`).version}\0`);
hash.update(here);
const key = hash.digest('hex').slice(0, 16);

const dist = join(here, '.next');
const stamp = join(dist, 'draingate-build-key');
const cacheRoot = process.env.DRAINGATE_NEXT_CACHE || join(homedir(), '.cache', 'draingate', 'next');
const cached = join(cacheRoot, key, '.next');

/** `cp -a` where there is one (10× faster than cpSync on the standalone output's ~1,300 files), else cpSync. */
function copyDir(from, to) {
  if (spawnSync('cp', ['-a', from, to]).status !== 0) cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) {
  log(`.next is up to date (key ${key})`);
} else if (existsSync(cached)) {
  const t0 = performance.now();
  rmSync(dist, { recursive: true, force: true });
  copyDir(cached, dist);
  log(`.next copied from ${cached} in ${Math.round(performance.now() - t0)} ms`);
} else {
  log(`no cached build for key ${key}: next build`);
  const t0 = performance.now();
  const build = spawnSync(process.execPath, [require.resolve('next/dist/bin/next'), 'build'], {
    cwd: here,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
  });
  if (build.status !== 0) {
    log(`next build failed (exit ${build.status ?? build.signal})`);
    process.exit(1);
  }
  // As Next's docs say for standalone output: the static assets go next to its server.js (public/ too, if any).
  const standaloneApp = join(dist, 'standalone', relative(join(here, '..', '..'), here));
  cpSync(join(dist, 'static'), join(standaloneApp, '.next', 'static'), { recursive: true });
  writeFileSync(stamp, key);
  log(`next build took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Store it without .next/cache (the build cache, not needed to serve): into a temp dir, then one rename.
  const tmp = join(cacheRoot, `${key}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  copyDir(dist, join(tmp, '.next'));
  rmSync(join(tmp, '.next', 'cache'), { recursive: true, force: true });
  try {
    renameSync(tmp, join(cacheRoot, key));
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another build stored the same key first
  }
}
console.log(key);
