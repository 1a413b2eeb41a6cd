/**
 * The docs of the options are the settings table's (src/internal/settings.ts): the README's options table row for
 * row, and the JSDoc of every option (what users read in their editor) with the same variable and default.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DraingateConfigError } from '../src/index.js';
import { KINDS } from '../src/internal/setting-kinds.js';
import { SETTINGS, type Setting } from '../src/internal/settings.js';
import { resolveConfig } from '../src/internal.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const optionTypes = readFileSync(new URL('../src/internal/options.ts', import.meta.url), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README section "${title}"`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The default as the README states it: a value in backticks, or the row's words for "none". */
function shownDefault(s: Setting): string {
  if (s.shown !== undefined) return s.shown;
  const value = Array.isArray(s.default) ? JSON.stringify(s.default).replaceAll(',', ', ') : String(s.default);
  return `\`${value}\``;
}

/** The table the README must hold, unpadded (biome pads it: `pnpm exec biome format --write packages/core/README.md`). */
function expectedTable(): string[][] {
  return SETTINGS.map((s) => [`\`${s.option}\``, s.env === null ? '—' : `\`${s.env}\``, shownDefault(s), KINDS[s.kind].accepts(s), s.doc]);
}

describe('README', () => {
  it('options table: one row per setting, with its variable, default, accepted values and doc', () => {
    const lines = section('Options').split('\n');
    const header = lines.findIndex((l) => /^\|\s*option\s*\|\s*env\s*\|\s*default\s*\|\s*accepts\s*\|\s*what\s*\|$/.test(l));
    expect(header, 'the options table header').toBeGreaterThan(0);
    const rows: string[][] = [];
    for (const line of lines.slice(header + 2)) {
      if (!line.startsWith('|')) break;
      rows.push(
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((cell) => cell.trim()),
      );
    }
    const expected = expectedTable();
    const markdown = ['| option | env | default | accepts | what |', '| --- | --- | --- | --- | --- |']
      .concat(expected.map((r) => `| ${r.join(' | ')} |`))
      .join('\n');
    expect(rows, `the README's options table should be:\n${markdown}\n`).toEqual(expected);
  });

  it("states the relation error's wording as core words it", () => {
    let message = '';
    try {
      resolveConfig({ env: { DRAINGATE_MIN_DELAY: '30s' }, logger: false });
    } catch (error) {
      expect(error).toBeInstanceOf(DraingateConfigError);
      message = (error as Error).message;
    }
    const quoted = /`(DRAINGATE_MIN_DELAY \(30s\) is greater than [^`]*)`/.exec(section('Options').replaceAll('\n', ' '))?.[1];
    expect(quoted).toBeDefined();
    expect(message).toContain(quoted);
  });
});

/** The JSDoc right above a property of one of the option interfaces, backticks and line breaks removed. */
function jsdoc(option: string): string {
  const [group, key] = option.includes('.') ? (option.split('.') as [string, string]) : ['', option];
  const name = { '': 'GateOptions', lbHealthCheck: 'LbHealthCheckOptions', paths: 'EndpointPaths' }[group] as string;
  const body = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(optionTypes)?.[1] ?? '';
  const doc = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${key}\\?:`).exec(body)?.[1] ?? '';
  return doc.replace(/\s*\n\s*\*?\s*/g, ' ').replaceAll('`', '');
}

describe('JSDoc of the options', () => {
  it.each(SETTINGS.map((s) => [s.option, s]))('%s: names its variable and its default as the table has them', (_, s) => {
    const doc = jsdoc(s.option);
    expect(doc, 'a JSDoc comment').not.toBe('');
    if (s.env !== null) expect(doc).toContain(`Env ${s.env}`);
    if (s.default === null) {
      expect(doc).toMatch(new RegExp(`Default:? ${(s.shown as string).replaceAll('`', '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    } else {
      const code =
        typeof s.default === 'string' || Array.isArray(s.default) ? JSON.stringify(s.default).replaceAll(',', ', ') : String(s.default);
      expect(doc).toContain(`Default ${code}`);
    }
  });
});
