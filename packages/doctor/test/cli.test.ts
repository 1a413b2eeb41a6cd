/** The built CLI (dist/cli.js, run `pnpm exec tsc -b` first): exit codes, output formats, --explain, stdin. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES, runCli } from '../src/index.js';

const root = resolve(import.meta.dirname, '../../..');
const cli = join(root, 'packages/doctor/dist/cli.js');
const fixtures = 'packages/doctor/test/fixtures';

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    input: input ?? '',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('draingate doctor (built CLI)', () => {
  it('exits 0 on a clean setup, without colour when stdout is not a terminal', () => {
    const r = run(['doctor', `${fixtures}/good-alb-ip.yaml`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Deployment shop/api (packages/doctor/test/fixtures/good-alb-ip.yaml:51)');
    expect(r.stdout).toContain('1 workload checked: 0 errors, 0 warnings, 0 info');
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stderr).toBe('');
  });

  it('exits 1 when there is an error, and groups findings under their workload', () => {
    const r = run(['doctor', `${fixtures}/rules/budget-exceeds-grace-period.fail.yaml`]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const workload = lines.findIndex((l) => l.startsWith('  Deployment shop/api'));
    expect(workload).toBeGreaterThan(0);
    expect(lines[workload + 1]).toMatch(
      /^ {4}✖ error budget-exceeds-grace-period: .* = 58s, not less than terminationGracePeriodSeconds 50s/,
    );
    expect(lines[workload + 2]).toContain('at Deployment shop/api spec.template.spec.terminationGracePeriodSeconds');
    expect(lines[workload + 3]).toMatch(/^ {6}fix: Raise terminationGracePeriodSeconds/);
    expect(r.stdout).toContain('draingate doctor --explain <rule>');
  });

  it('exits 0 when there are only warnings and infos', () => {
    const r = run(
      ['doctor', '-'],
      `${readFileSync(join(root, fixtures, 'rules/pdb-missing.fail.yaml'), 'utf8')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n`,
    );
    expect(r.stdout).toContain('⚠ warning pdb-missing');
    expect(r.stdout).toContain('ℹ info kind-ignored');
    expect(r.code).toBe(0);
  });

  it('reads standard input with -', () => {
    const r = run(['doctor', '-'], 'apiVersion: v1\nkind: Service\nmetadata: { name: x }\nspec: { selector: { a: b } }\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no-workload');
  });

  it('malformed YAML on stdin is an error finding (exit 1), not a crash', () => {
    const r = run(['doctor', '-'], 'kind: [\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ error yaml-invalid: invalid YAML');
    expect(r.stderr).toBe('');
  });

  it('--format json: the documented shape', () => {
    const r = run([
      'doctor',
      '--format',
      'json',
      `${fixtures}/rules/sidecar-not-native.fail.yaml`,
      `${fixtures}/rules/kind-ignored.fail.yaml`,
    ]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['version', 'ok', 'summary', 'units', 'findings']);
    expect(json.version).toBe(1);
    expect(json.ok).toBe(false);
    expect(json.summary).toEqual({ errors: 1, warnings: 0, infos: 1, workloads: 2 });
    // Both files define Deployment shop/api: each file is checked on its own.
    const sidecar = `${fixtures}/rules/sidecar-not-native.fail.yaml`;
    const kinds = `${fixtures}/rules/kind-ignored.fail.yaml`;
    expect(json.units).toEqual([
      { label: `file ${sidecar}`, workloads: [{ kind: 'Deployment', name: 'api', namespace: 'shop', file: sidecar, line: 51 }] },
      { label: `file ${kinds}`, workloads: [{ kind: 'Deployment', name: 'api', namespace: 'shop', file: kinds, line: 51 }] },
    ]);
    const error = json.findings.find((f: { rule: string }) => f.rule === 'sidecar-not-native');
    expect(Object.keys(error)).toEqual(['unit', 'rule', 'severity', 'workload', 'object', 'field', 'message', 'why', 'fix']);
    expect(error).toMatchObject({
      unit: `file ${sidecar}`,
      severity: 'error',
      workload: { kind: 'Deployment', name: 'api', namespace: 'shop' },
      object: { kind: 'Deployment', name: 'api' },
      field: 'spec.template.spec.initContainers[name=draingate-sidecar].restartPolicy',
    });
    const info = json.findings.find((f: { rule: string }) => f.rule === 'kind-ignored');
    expect(info).toMatchObject({ severity: 'info', workload: null, object: { kind: 'ConfigMap', name: 'api-config' } });
  });

  it('--explain prints the reasoning and the timeline for every rule', () => {
    for (const rule of RULES) {
      let out = '';
      const code = runCli(['doctor', '--explain', rule.id], {
        stdout: (t) => (out += t),
        stderr: () => {},
        readStdin: () => '',
        color: false,
      });
      expect(code).toBe(0);
      expect(out).toBe(rule.explain);
      expect(out).toContain('Timeline it protects:');
    }
    const r = run(['doctor', '--explain', 'budget-exceeds-grace-period']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('t0+TGPS SIGKILL');
  });

  it('--explain with an unknown rule: exit 2 and the valid ids', () => {
    const r = run(['doctor', '--explain', 'grace']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown rule "grace". Valid rules: readiness-probe-missing, probe-path-mismatch');
    expect(r.stdout).toBe('');
  });

  it('colours by severity only when asked to (stdout is a TTY and NO_COLOR unset)', () => {
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: () => {}, readStdin: () => '', color: true, cwd: root };
    expect(runCli(['doctor', `${fixtures}/rules/budget-exceeds-grace-period.fail.yaml`], io)).toBe(1);
    expect(out).toContain('\x1b[31m✖ error\x1b[0m');
  });

  it('--help and --rules', () => {
    const help = run(['doctor', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: draingate doctor [options] <file|dir|->...');
    expect(help.stdout).toContain('Exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 usage or input error.');
    expect(run(['--help']).stdout).toBe(help.stdout);
    const rules = run(['doctor', '--rules']);
    expect(rules.code).toBe(0);
    expect(rules.stdout.trim().split('\n')).toHaveLength(RULES.length);
  });

  it.each([
    [['doctor'], 'no input'],
    [['doctor', '--format', 'xml', 'x.yaml'], '--format must be human or json'],
    [['doctor', '--bogus', 'x.yaml'], "Unknown option '--bogus'"],
    [['doctor', 'does/not/exist.yaml'], 'does/not/exist.yaml: no such file or directory'],
    [['doctor', '-', '-'], 'may be given only once'],
    [['lint', 'x.yaml'], 'unknown command "lint"'],
  ])('usage error %j: exit 2 with a message', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
