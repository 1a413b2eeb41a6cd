/**
 * Faults in what the sidecar is given at start: a kubeconfig that is malformed, a directory, YAML that is not a
 * kubeconfig, and a flag whose value starts with a dash. Each exits 2 with one line naming the setting; a kubeconfig
 * problem says the file's path and where in it, never its content (a token planted in it appears in no output).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
const TOKEN = 'dg-planted-token-7f3a9c1e5b';
const POD = { POD_NAME: 'web', POD_NAMESPACE: 'ns', POD_UID: 'u' };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'draingate-kubeconfig-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI to its exit (bounded); everything it wrote. */
async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, '--source=albc', '--listen=127.0.0.1:0', ...args], {
    env: { PATH: process.env.PATH ?? '', ...POD, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

const KUBECONFIG_HEAD = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:1
users:
- name: u
  user:
`;

/** One line on stderr, nothing on stdout, exit 2, and the planted token nowhere. */
function expectOneLine(r: { code: number | null; stdout: string; stderr: string }): string {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
  expect(r.stdout + r.stderr).not.toContain('dg-planted');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe('fault: a kubeconfig the sidecar cannot use', () => {
  it('malformed YAML around a token: exit 2, one line with the path and the position, no content', async () => {
    // Line 10 is indented one space short: js-yaml's error quotes the lines around it, token included.
    const path = file('broken.yaml', `${KUBECONFIG_HEAD}    token: ${TOKEN}\n   bad: indent\ncontexts: []\n`);
    const line = expectOneLine(await run([`--kubeconfig=${path}`]));
    expect(line).toBe(
      `draingate-sidecar: --kubeconfig / KUBECONFIG is "${path}": not valid YAML at line 11, column 4 (bad indentation of a mapping entry); the file's content is not shown.`,
    );
  });

  it('the same through KUBECONFIG', async () => {
    const path = file('broken-env.yaml', `${KUBECONFIG_HEAD}    token: "${TOKEN}\n`);
    const line = expectOneLine(await run([], { KUBECONFIG: path }));
    expect(line).toMatch(
      new RegExp(`^draingate-sidecar: --kubeconfig / KUBECONFIG is "${path}": not valid YAML at line \\d+, column \\d+`),
    );
  });

  it('a directory: exit 2, one line', async () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    const line = expectOneLine(await run([`--kubeconfig=${path}`]));
    expect(line).toBe(`draingate-sidecar: --kubeconfig / KUBECONFIG is "${path}": a directory, not a file (EISDIR).`);
  });

  it('YAML that is not a kubeconfig (a list): exit 2, one line', async () => {
    const path = file('list.yaml', `- ${TOKEN}\n- b\n`);
    const line = expectOneLine(await run([`--kubeconfig=${path}`]));
    expect(line).toBe(`draingate-sidecar: --kubeconfig / KUBECONFIG is "${path}": not a kubeconfig (it has no clusters).`);
  });

  it('YAML that is not a kubeconfig (a Pod manifest with a token in it): exit 2, one line', async () => {
    const path = file('pod.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n    token: ${TOKEN}\n`);
    const line = expectOneLine(await run([`--kubeconfig=${path}`]));
    expect(line).toBe(`draingate-sidecar: --kubeconfig / KUBECONFIG is "${path}": not a kubeconfig (it has no clusters).`);
  });

  it('a kubeconfig whose current-context names no context: exit 2, one line, the user token not shown', async () => {
    const path = file('no-context.yaml', `${KUBECONFIG_HEAD}    token: ${TOKEN}\ncontexts: []\ncurrent-context: ${TOKEN}\n`);
    const line = expectOneLine(await run([`--kubeconfig=${path}`]));
    expect(line).toBe(
      `draingate-sidecar: --kubeconfig / KUBECONFIG is "${path}": not usable: its current-context names no entry of contexts.`,
    );
  });

  it('an empty file: exit 2, one line', async () => {
    const path = file('empty.yaml', '');
    const line = expectOneLine(await run([`--kubeconfig=${path}`]));
    expect(line).toBe(`draingate-sidecar: --kubeconfig / KUBECONFIG is "${path}": not a kubeconfig (the file is empty).`);
  });
});

describe('fault: a flag whose value starts with a dash', () => {
  it('--propagation-bound -5s: one line that says how to pass it, exit 2', async () => {
    const r = await run(['--propagation-bound', '-5s'], { KUBECONFIG: '/nonexistent' });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      'draingate-sidecar: --propagation-bound is followed by "-5s", which starts with a dash and is taken for a flag: write --propagation-bound=-5s if it is the value.',
    ]);
  });

  it('an unknown flag: one line naming it, exit 2', async () => {
    const r = await run(['--propagation-margin-typo', '5s']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      "draingate-sidecar: Unknown option '--propagation-margin-typo'. Run with --help for the list of settings.",
    ]);
  });
});
