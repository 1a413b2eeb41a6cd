/**
 * The test kit is how packages share test code: no package reaches into another's files by relative path, each
 * entry exports what it lists, and the entries that benchmarks import load in plain Node, without vitest.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as cluster from '../src/cluster.js';
import * as conformance from '../src/conformance.js';
import * as elbv2 from '../src/elbv2.js';
import * as http from '../src/http.js';
import * as k8s from '../src/k8s.js';

const here = dirname(new URL(import.meta.url).pathname);
const pkgDir = resolve(here, '..');
const repo = resolve(pkgDir, '../..');

/** Source files of every workspace package (packages/*, examples/*, bench), without dist and node_modules. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

/**
 * The workspace package a file belongs to: the nearest directory above it with a package.json. A package inside
 * another package's test/ directory (a fixture package that pins other versions of a peer, e.g. Nest 10 beside 11)
 * is that package's test code.
 */
function packageOf(file: string): string {
  for (let dir = dirname(file); dir.startsWith(repo) && dir !== repo; dir = dirname(dir)) {
    if (!statSync(join(dir, 'package.json'), { throwIfNoEntry: false })?.isFile()) continue;
    const inTests = /^(.*?)\/test(\/|$)/.exec(relative(repo, dir));
    return inTests ? (inTests[1] as string) : relative(repo, dir);
  }
  return '.';
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)(['"])([^'"]+)\1/gm;

describe('no package imports another package by relative path', () => {
  const roots = ['packages', 'examples', 'bench'].map((r) => join(repo, r));
  const files = roots.flatMap((r) => sourceFiles(r));

  it('finds the files it checks', () => {
    // The scan must see the moved helpers' users, or the next assertion proves nothing.
    const seen = files.map((f) => relative(repo, f));
    expect(seen).toContain('packages/express/test/helpers/apps.ts');
    expect(seen).toContain('packages/doctor/test/dry-run.test.ts');
    expect(seen).toContain('packages/testkit/src/conformance/suite.ts');
    expect(files.length).toBeGreaterThan(200);
  });

  it('every relative import stays inside its own package (shared test code comes from @draingate/testkit)', () => {
    const crossings: string[] = [];
    for (const file of files) {
      const own = packageOf(file);
      for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        const spec = m[2] as string;
        if (!spec.startsWith('.')) continue;
        const target = packageOf(resolve(dirname(file), spec));
        if (target !== own) crossings.push(`${relative(repo, file)}: '${spec}' (${own} → ${target})`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it('would see a crossing', () => {
    // The rule above, applied to the kind of import this package replaced.
    const file = join(repo, 'packages/express/test/conformance.test.ts');
    expect(packageOf(resolve(dirname(file), '../../core/test/conformance/suite.js'))).toBe('packages/core');
    expect(packageOf(file)).toBe('packages/express');
  });
});

describe('@draingate/testkit entries', () => {
  it('each entry exports what it lists, and nothing else', () => {
    expect(Object.keys(conformance).sort()).toEqual([
      'ACCEPTANCE_ENV',
      'TEST_OPTIONS',
      'acceptUpgrades',
      'conformance',
      'exampleOutcome',
      'expectAcceptance',
      'releaseGate',
      'untilNotReady',
    ]);
    expect(Object.keys(http).sort()).toEqual(['connect', 'fetchOnce', 'fork', 'get', 'runToExit', 'sleep', 'testTls', 'waitFor']);
    expect(Object.keys(k8s).sort()).toEqual([
      'DEFAULT_CONTROLLERS',
      'KubeletSim',
      'Proc',
      'containersReadyCondition',
      'dockerfileInstructions',
      'dryRunApply',
      'ensureNamespace',
      'freePort',
      'installTargetGroupBindingCrd',
      'k8sBinDir',
      'kubeletConditions',
      'podReady',
      'startApiServer',
      'startControllerManager',
      'until',
    ]);
    expect(Object.keys(elbv2).sort()).toEqual([
      'ACCESS_DENIED',
      'AccountBucket',
      'FakeElbv2',
      'TEST_CREDENTIALS',
      'THROTTLING',
      'TargetLifecycle',
    ]);
    expect(Object.keys(cluster).sort()).toEqual([
      'GATE',
      'condition',
      'podEvents',
      'readPod',
      'serviceAndBinding',
      'startGatedApp',
      'useCluster',
      'waitFor',
    ]);
  });

  it('package.json: private, ESM, one export per entry with types first, built by tsc -b', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(pkg.private).toBe(true);
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.exports)).toEqual(['./conformance', './http', './k8s', './elbv2', './cluster', './package.json']);
    for (const entry of ['conformance', 'http', 'k8s', 'elbv2', 'cluster']) {
      expect(pkg.exports[`./${entry}`]).toEqual({ types: `./dist/${entry}.d.ts`, default: `./dist/${entry}.js` });
    }
    const root = JSON.parse(readFileSync(join(repo, 'tsconfig.json'), 'utf8'));
    expect(root.references).toContainEqual({ path: 'packages/testkit' });
  });

  /** Imports `entry` in a plain Node process whose resolve hook refuses vitest; returns the exit code and stderr. */
  function loadWithoutVitest(entry: string): { status: number | null; stderr: string } {
    const hook = `export async function resolve(s, c, next) { if (s === 'vitest' || s.startsWith('vitest/')) throw new Error('imported ' + s); return next(s, c); }`;
    const code = [
      "import { register } from 'node:module';",
      `register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`,
      `const m = await import('@draingate/testkit/${entry}');`,
      'if (Object.keys(m).length === 0) process.exit(3);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: pkgDir, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stderr: r.stderr };
  }

  it.each(['http', 'k8s', 'elbv2'])('%s loads in plain Node without vitest (benchmarks import its dist)', (entry) => {
    const r = loadWithoutVitest(entry);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(['conformance', 'cluster'])('%s needs vitest (the same check refuses it)', (entry) => {
    const r = loadWithoutVitest(entry);
    expect(r.stderr).toContain('imported vitest');
    expect(r.status).not.toBe(0);
  });
});
