/** The public API is exactly what src/index.ts re-exports, and the built package exposes the same. */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Finding, Report, Rule, Severity } from '../src/index.js';
import * as api from '../src/index.js';

describe('@draingate/doctor exports', () => {
  it('has the documented runtime exports and nothing else', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'InputError',
        'KustomizeError',
        'RULES',
        'checkManifests',
        'checkPaths',
        'diagnoseObjects',
        'formatHuman',
        'formatJson',
        'parseManifests',
        'renderKustomization',
        'runCli',
        'strategicMerge',
        'toYaml',
      ].sort(),
    );
  });

  it('the built entry point matches the source one', async () => {
    const built = await import('../dist/index.js');
    expect(Object.keys(built).sort()).toEqual(Object.keys(api).sort());
  });

  it('package.json points bin, main, types and exports at built files', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.bin).toEqual({ draingate: './dist/cli.js' });
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(readFileSync(new URL('../dist/cli.js', import.meta.url), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('rule ids are unique kebab-case and every rule is fully described', () => {
    const ids = api.RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of api.RULES) {
      expect(r.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(['error', 'warning', 'info']).toContain(r.severity);
      for (const text of [r.title, r.why, r.fix, r.explain]) expect(text.length).toBeGreaterThan(10);
    }
  });

  it('types', () => {
    expectTypeOf(api.checkManifests).returns.toEqualTypeOf<Report>();
    expectTypeOf<Finding['severity']>().toEqualTypeOf<Severity>();
    expectTypeOf<Rule['id']>().toEqualTypeOf<string>();
    expectTypeOf(api.runCli).returns.toEqualTypeOf<number>();
  });
});

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it('lists every rule with its severity and title, in order', () => {
    const rows = [...readme.matchAll(/^\| \[`([a-z-]+)`\]\(#\1\) +\| (\w+) +\| (.*?) +\|$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(rows).toEqual(api.RULES.map((r) => [r.id, r.severity, r.title]));
  });
  it('has a section per rule with exactly the why and fix the CLI prints', () => {
    for (const r of api.RULES) {
      expect(readme).toContain(`### ${r.id}\n\n**${r.severity}**: ${r.title}.\n\n${r.why}\n\n**Fix**: ${r.fix}\n`);
    }
  });
  it('documents the exit codes runCli returns', () => {
    expect(readme).toMatch(/^\| 0 +\| no errors \(warnings and infos allowed\) +\|$/m);
    expect(readme).toMatch(/^\| 1 +\| at least one error \(including unparseable YAML\) +\|$/m);
    expect(readme).toMatch(/^\| 2 +\| usage or input error/m);
  });
});

describe('docs/eks.md', () => {
  const guide = readFileSync(new URL('../../../docs/eks.md', import.meta.url), 'utf8');
  it('names only rules that exist, and every rule about the manifests', () => {
    const ids = new Set(api.RULES.map((r) => r.id));
    const mentioned = new Set([...guide.matchAll(/`([a-z]+(?:-[a-z]+){1,5})`/g)].map((m) => m[1] as string).filter((m) => m.includes('-')));
    const unknown = [...mentioned].filter(
      (m) => !ids.has(m) && /-(missing|mismatch|invalid|slow|short|long|shell|native|gate|period|sidecar)$/.test(m),
    );
    expect(unknown).toEqual([]);
    const inputRules = new Set(['yaml-invalid', 'kind-ignored', 'no-workload', 'no-load-balancer']);
    expect(api.RULES.map((r) => r.id).filter((id) => !inputRules.has(id) && !mentioned.has(id))).toEqual([]);
  });
});
