import { stringify } from 'yaml';
import { type Diagnosis, diagnoseObjects } from './diagnose.js';
import type { Finding, ObjectRef, Severity } from './finding.js';
import { type InputUnit, loadInputs } from './load.js';
import type { K8sObject } from './objects.js';
import { parseManifests } from './objects.js';

/** The findings of one input unit (a kustomization, a directory, or the files given). */
export interface UnitReport extends Diagnosis {
  readonly label: string;
}

export interface Summary {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly workloads: number;
}

/** What `draingate doctor` found. */
export interface Report {
  readonly units: readonly UnitReport[];
  readonly summary: Summary;
}

function summarize(units: readonly UnitReport[]): Summary {
  const count = (s: Severity): number => units.reduce((n, u) => n + u.findings.filter((f) => f.severity === s).length, 0);
  return {
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
    workloads: units.reduce((n, u) => n + u.workloads.length, 0),
  };
}

function fromUnits(units: readonly InputUnit[]): Report {
  const reports = units.map((u) => ({ label: u.label, ...diagnoseObjects(u.objects, u.problems) }));
  return { units: reports, summary: summarize(reports) };
}

/** Checks multi-document YAML text (one unit: the objects in it are checked together). */
export function checkManifests(text: string, file = '-'): Report {
  const { objects, problems } = parseManifests(text, file);
  return fromUnits([{ label: file === '-' ? 'standard input' : file, objects, problems }]);
}

/**
 * Checks files and directories (kustomization directories are rendered). Throws `InputError` for a path that
 * does not exist, `KustomizeError` for a kustomization it cannot render.
 */
export function checkPaths(paths: readonly string[], options: { stdin?: string | null; cwd?: string } = {}): Report {
  return fromUnits(loadInputs(paths, options.stdin ?? null, options.cwd ?? process.cwd()));
}

/** Multi-document YAML of objects, as `kubectl kustomize` prints them (without the source comments). */
export function toYaml(objects: readonly K8sObject[]): string {
  return objects.map((o) => stringify(o.raw, { lineWidth: 0 })).join('---\n');
}

const COLORS = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' };
const ICON: Record<Severity, string> = { error: '✖', warning: '⚠', info: 'ℹ' };

function at(r: ObjectRef): string {
  return `${r.file}:${r.line}`;
}

function name(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** The report for people: grouped by workload, errors first; ANSI colours only when `color` is true. */
export function formatHuman(report: Report, options: { color?: boolean } = {}): string {
  const c = (code: keyof typeof COLORS, s: string): string => (options.color ? `${COLORS[code]}${s}${COLORS.reset}` : s);
  const lines: string[] = [];
  for (const unit of report.units) {
    lines.push(c('bold', `${unit.label}`));
    const groups = new Map<string, { title: string; findings: Finding[] }>();
    groups.set('(input)', { title: 'input', findings: [] });
    for (const w of unit.workloads) groups.set(`${at(w)} ${name(w)}`, { title: `${name(w)} (${at(w)})`, findings: [] });
    for (const f of unit.findings) {
      const key = f.workload ? `${at(f.workload)} ${name(f.workload)}` : '(input)';
      groups.get(key)?.findings.push(f);
    }
    for (const [key, g] of groups) {
      if (key === '(input)' && g.findings.length === 0) continue;
      lines.push(`  ${c('bold', g.title)}`);
      if (g.findings.length === 0) lines.push(`    ${c('dim', 'no findings')}`);
      for (const f of [...g.findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity])) {
        lines.push(`    ${c(f.severity, `${ICON[f.severity]} ${f.severity}`)} ${c('bold', f.rule)}: ${f.message}`);
        const where = f.object.kind.startsWith('(')
          ? `at ${at(f.object)}`
          : `at ${name(f.object)}${f.field ? ` ${f.field}` : ''} (${at(f.object)})`;
        lines.push(`      ${c('dim', where)}`);
        if (f.severity !== 'info') lines.push(`      fix: ${f.fix}`);
      }
    }
    lines.push('');
  }
  const s = report.summary;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  const summary = `${plural(s.workloads, 'workload')} checked: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${s.infos} info`;
  lines.push(s.errors > 0 ? c('error', summary) : summary);
  if (s.errors + s.warnings > 0) lines.push(c('dim', 'Why a rule matters and the timeline it protects: draingate doctor --explain <rule>'));
  return `${lines.join('\n')}\n`;
}

/** The report as JSON (shape documented in the README, `version: 1`). */
export function formatJson(report: Report): string {
  const out = {
    version: 1,
    ok: report.summary.errors === 0,
    summary: report.summary,
    units: report.units.map((u) => ({ label: u.label, workloads: u.workloads })),
    findings: report.units.flatMap((u) => u.findings.map((f) => ({ unit: u.label, ...f }))),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
