/** Bad, empty and unusual input: clear findings or usage errors, never a crash. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkManifests, checkPaths, InputError, KustomizeError, parseManifests, strategicMerge } from '../src/index.js';

const good = readFileSync(join(import.meta.dirname, 'fixtures/good-alb-ip.yaml'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'doctor-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const rules = (text: string) => checkManifests(text, 'in.yaml').units.flatMap((u) => u.findings.map((f) => `${f.rule}:${f.severity}`));

describe('malformed YAML', () => {
  it('reports the broken document with its line and still checks the others', () => {
    const text = `${good}---\nkind: ConfigMap\nmetadata: [unclosed\n---\napiVersion: v1\nkind: Secret\nmetadata: { name: s }\n`;
    const findings = checkManifests(text, 'in.yaml').units.flatMap((u) => u.findings);
    const yaml = findings.filter((f) => f.rule === 'yaml-invalid');
    expect(yaml).toHaveLength(1);
    expect(yaml[0]?.message).toMatch(/^invalid YAML: /);
    expect(yaml[0]?.object.file).toBe('in.yaml');
    expect(yaml[0]?.object.line).toBeGreaterThan(good.split('\n').length);
    expect(findings.filter((f) => f.rule === 'kind-ignored').map((f) => f.message)).toEqual(['v1 Secret s is not checked by doctor.']);
  });

  it.each([
    ['a tab where indentation is expected', 'apiVersion: v1\nkind: Service\nmetadata:\n\tname: x\n'],
    ['a duplicate key', 'apiVersion: v1\nkind: Service\nkind: Pod\n'],
    ['an unterminated string', 'apiVersion: "v1\nkind: Service\n'],
    ['an alias to nothing', 'apiVersion: *nope\nkind: Service\n'],
  ])('%s', (_, text) => {
    expect(rules(text)).toEqual(['yaml-invalid:error', 'no-workload:warning']);
  });

  it('a billion-laughs alias bomb is refused, not expanded', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const started = Date.now();
    expect(rules(`${lines.join('\n')}\n`)).toContain('yaml-invalid:error');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('documents that are not Kubernetes objects', () => {
    expect(rules('- a\n- b\n')).toEqual(['yaml-invalid:error', 'no-workload:warning']);
    expect(rules('just a string\n')).toEqual(['yaml-invalid:error', 'no-workload:warning']);
    expect(rules('apiVersion: v1\nmetadata: { name: x }\n')).toEqual(['yaml-invalid:error', 'no-workload:warning']);
    expect(checkManifests('kind: Service\n').units[0]?.findings[0]?.message).toBe('a mapping without apiVersion: not a Kubernetes object');
  });
});

describe('empty input', () => {
  it.each([
    ['nothing', ''],
    ['only comments', '# nothing here\n'],
    ['empty documents', '---\n---\n...\n'],
  ])('%s: one no-workload warning', (_, text) => {
    const report = checkManifests(text);
    expect(report.units.flatMap((u) => u.findings.map((f) => [f.rule, f.message]))).toEqual([
      ['no-workload', 'the input holds no Kubernetes objects.'],
    ]);
    expect(report.summary).toEqual({ errors: 0, warnings: 1, infos: 0, workloads: 0 });
  });
});

describe('unknown kinds', () => {
  it('are listed as info and ignored by the rules', () => {
    const text = `${good}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\nspec: { replicas: 1 }\n`;
    expect(rules(text)).toEqual(['kind-ignored:info']);
  });

  it('a kind: List is unwrapped', () => {
    const docs = parseManifests(good, 'g.yaml').objects.map((o) => o.raw);
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs });
    const report = checkManifests(list);
    expect(report.summary).toEqual({ errors: 0, warnings: 0, infos: 0, workloads: 1 });
  });
});

describe('paths', () => {
  it('a missing path is an InputError (usage error)', () => {
    expect(() => checkPaths([join(tmp, 'nope.yaml')])).toThrow(InputError);
  });

  it('a directory of plain files is checked as one unit; kustomization subdirectories as units of their own', () => {
    const dir = join(tmp, 'plain');
    mkdirSync(join(dir, 'sub/kust'), { recursive: true });
    const docs = good.split('---\n');
    writeFileSync(join(dir, 'a.yaml'), docs.slice(0, 5).join('---\n'));
    writeFileSync(join(dir, 'sub/b.yml'), docs.slice(5).join('---\n'));
    writeFileSync(join(dir, 'notes.txt'), 'not yaml');
    writeFileSync(join(dir, 'sub/kust/kustomization.yaml'), 'resources: [w.yaml]\n');
    writeFileSync(join(dir, 'sub/kust/w.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n');
    const report = checkPaths([dir], { cwd: tmp });
    expect(report.units.map((u) => [u.label, u.workloads.length])).toEqual([
      ['directory plain', 1],
      ['kustomization plain/sub/kust', 0],
    ]);
    expect(report.units[0]?.findings).toEqual([]);
    expect(report.units[1]?.findings.map((f) => f.rule)).toEqual(['kind-ignored', 'no-workload']);
  });

  it('a kustomization using features the renderer lacks is refused with a way out', () => {
    const dir = join(tmp, 'kust-unsupported');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: []\nimages:\n  - name: app\n    newTag: "2"\n');
    expect(() => checkPaths([dir], { cwd: tmp })).toThrow(KustomizeError);
    expect(() => checkPaths([dir], { cwd: tmp })).toThrow(
      /"images" is not supported.*kubectl kustomize kust-unsupported \| draingate doctor -/,
    );
  });

  it('a patch whose target does not exist is refused', () => {
    const dir = join(tmp, 'kust-bad-patch');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [svc.yaml]\npatches:\n  - path: p.yaml\n');
    writeFileSync(join(dir, 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: a }\n');
    writeFileSync(join(dir, 'p.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: b }\n');
    expect(() => checkPaths([dir], { cwd: tmp })).toThrow(/targets Service\/b, which no resource defines/);
  });

  it('a kustomization namespace applies to namespaced objects only', () => {
    const dir = join(tmp, 'kust-ns');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), 'namespace: team\nresources: [all.yaml]\n');
    writeFileSync(
      join(dir, 'all.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: team }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: a }\n',
    );
    const report = checkPaths([dir], { cwd: tmp });
    expect(report.units[0]?.findings.map((f) => f.rule)).toEqual(['no-workload']);
  });
});

describe('strategicMerge', () => {
  const target = {
    spec: {
      replicas: 2,
      containers: [
        {
          name: 'app',
          image: 'a:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
          args: ['x', 'y'],
        },
        { name: 'log', image: 'l:1' },
      ],
    },
  };
  it("merges maps, merges named list items by name (the patch's first, as kubectl kustomize orders them), replaces other lists", () => {
    const out = strategicMerge(target, {
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: '3' },
              { name: 'C', value: '4' },
            ],
            args: ['z'],
          },
        ],
      },
    });
    expect(out).toEqual({
      spec: {
        replicas: 2,
        containers: [
          {
            name: 'app',
            image: 'a:1',
            env: [
              { name: 'B', value: '3' },
              { name: 'C', value: '4' },
              { name: 'A', value: '1' },
            ],
            args: ['z'],
          },
          { name: 'log', image: 'l:1' },
        ],
      },
    });
  });
  it('deletes with null and $patch: delete, and does not modify its input', () => {
    const before = JSON.stringify(target);
    const out = strategicMerge(target, { spec: { replicas: null, containers: [{ name: 'log', $patch: 'delete' }] } });
    expect(out).toEqual({ spec: { containers: [target.spec.containers[0]] } });
    expect(JSON.stringify(target)).toBe(before);
  });
});
