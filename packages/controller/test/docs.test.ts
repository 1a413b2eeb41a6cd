import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTROLLER_SETTINGS, usage } from '../src/index.js';

// The README's settings table is the code's: flag, variable, default and meaning, row for row.
const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');

/** The rows of the markdown table under `## heading` (header and separator dropped), cells trimmed. */
function table(heading: string): string[][] {
  const section = readme.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

describe('README', () => {
  it('the settings table is CONTROLLER_SETTINGS, row for row (flag, env, default, meaning), and --help lists each', () => {
    const rows = table('Settings');
    expect(rows.map((r) => r[0])).toEqual(CONTROLLER_SETTINGS.map((s) => `\`--${s.flag}\``));
    for (const s of CONTROLLER_SETTINGS) {
      const row = rows.find((r) => r[0] === `\`--${s.flag}\``) as string[];
      expect(row[1], s.flag).toBe(`\`${s.env}\``);
      expect(row[2], s.flag).toBe(s.default === null ? '—' : `\`${s.default}\``);
      expect(row[3], s.flag).toBe(s.doc);
      expect(usage()).toContain(`--${s.flag}`);
    }
  });

  it('has the measured table of the scale benchmark, ending with its summary line', () => {
    const measured = readme.split('\n## Measured\n')[1]?.split('\n## ')[0] ?? '';
    expect(measured).not.toContain('MEASURED_TABLE');
    expect(measured).toMatch(/\d+ pods, \d+ calls, \d+ throttled/);
  });
});
