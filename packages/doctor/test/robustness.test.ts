/**
 * "Never a crash": the good fixture and the kit, mutated at random (deterministic seed, bounded count) — keys
 * removed, values replaced by other types — always produce a report, never an exception.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkManifests, parseManifests } from '../src/index.js';

const root = resolve(import.meta.dirname, '../../..');
const sources = [
  readFileSync(join(import.meta.dirname, 'fixtures/good-alb-ip.yaml'), 'utf8'),
  readFileSync(join(root, 'examples/k8s/rendered/nlb-ip.yaml'), 'utf8'),
  readFileSync(join(import.meta.dirname, 'fixtures/sidecar-prestop-pod.yaml'), 'utf8'),
];

/** mulberry32: a small deterministic PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REPLACEMENTS: unknown[] = [null, 0, -1, 3.5, '', 'x', '20', '1h', true, [], {}, [1, 'a'], { a: null }];

function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) paths(v, [...prefix, i], out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  out.push(prefix);
  return out;
}

function mutate(doc: unknown, random: () => number): unknown {
  const copy = structuredClone(doc);
  const all = paths(copy).filter((p) => p.length > 0);
  for (let n = 0; n < 3; n++) {
    const path = all[Math.floor(random() * all.length)] as (string | number)[];
    let parent: unknown = copy;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown> | undefined)?.[key];
    if (parent === null || typeof parent !== 'object') continue;
    const last = path[path.length - 1] as string | number;
    if (random() < 0.3) {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete (parent as Record<string, unknown>)[String(last)];
    } else {
      (parent as Record<string | number, unknown>)[last] = REPLACEMENTS[Math.floor(random() * REPLACEMENTS.length)];
    }
  }
  return copy;
}

describe('robustness', () => {
  it('300 random mutations of valid manifests: always a report, never an exception', () => {
    const random = prng(20261122);
    let reports = 0;
    for (const source of sources) {
      const docs = parseManifests(source, 's.yaml').objects.map((o) => o.raw);
      for (let i = 0; i < 100; i++) {
        const text = docs.map((d) => stringify(random() < 0.5 ? mutate(d, random) : d)).join('---\n');
        const report = checkManifests(text, `mutation-${i}.yaml`);
        expect(report.summary.workloads + report.summary.errors + report.summary.warnings + report.summary.infos).toBeGreaterThanOrEqual(0);
        reports++;
      }
    }
    expect(reports).toBe(300);
  });

  it('truncated input at every 97th byte: never an exception', () => {
    const text = sources[0] as string;
    for (let end = 0; end < text.length; end += 97) {
      expect(() => checkManifests(text.slice(0, end))).not.toThrow();
    }
  });

  it('binary garbage and huge scalars', () => {
    expect(() => checkManifests('\u0000\u0001\u0002\uFFFD---\n\t\t:::\n')).not.toThrow();
    expect(() => checkManifests(`apiVersion: v1\nkind: Service\nmetadata: { name: ${'x'.repeat(200_000)} }\n`)).not.toThrow();
  });
});
