/** The README is tested: its usage example runs as written, and its options table matches the code's defaults. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GateOptions } from '@draingate/core';
import { DEFAULTS, ENV_VARS, resolveConfig } from '@draingate/core/internal';
import { fetchOnce, waitFor } from '@draingate/testkit/http';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');

/** Every option of the core gate: `satisfies` makes tsc fail when GateOptions gains or loses one. */
const GATE_OPTIONS = {
  gracePeriod: true,
  minDelay: true,
  maxDelay: true,
  delay: true,
  drainTimeout: true,
  hooksTimeout: true,
  quietPeriod: true,
  quietMinRequests: true,
  lbHealthCheck: true,
  lbType: true,
  sidecarUrl: true,
  sidecarPollInterval: true,
  managementPort: true,
  managementHost: true,
  paths: true,
  readyOnListen: true,
  signals: true,
  exit: true,
  logger: true,
  metrics: true,
  env: true,
} satisfies Record<keyof GateOptions, true>;

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README section "${title}"`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

function optionsTable(): Map<string, { env: string; default: string }> {
  const rows = section('Options')
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  const table = new Map<string, { env: string; default: string }>();
  for (const row of rows) {
    const [option, env, def] = row
      .split(/(?<!\\)\|/)
      .slice(1, 4)
      .map((c) => c.trim().replaceAll('`', ''));
    table.set(option!, { env: env!, default: def! });
  }
  return table;
}

describe('README', () => {
  it('options table: every option, the env variable that sets it, and the default the code uses', () => {
    const table = optionsTable();
    const topLevel = new Set([...table.keys()].map((k) => k.split('.')[0]));
    expect([...topLevel].sort()).toEqual(['gate', ...Object.keys(GATE_OPTIONS)].sort());
    // Environment variables: each one listed, next to the option it sets.
    const envRows = [...table].filter(([, r]) => r.env !== '—');
    expect(Object.fromEntries(envRows.map(([option, r]) => [r.env, option]))).toEqual(ENV_VARS);

    const resolved = resolveConfig({ env: {}, logger: false });
    const expected: Record<string, string> = {
      gracePeriod: DEFAULTS.gracePeriod,
      minDelay: DEFAULTS.minDelay,
      maxDelay: `gracePeriod − drainTimeout − hooksTimeout − 2s (${DEFAULTS.maxDelay} with the other defaults)`,
      delay: resolved.delay === null ? 'none' : String(resolved.delay),
      drainTimeout: DEFAULTS.drainTimeout,
      hooksTimeout: DEFAULTS.hooksTimeout,
      quietPeriod: DEFAULTS.quietPeriod,
      quietMinRequests: String(DEFAULTS.quietMinRequests),
      'lbHealthCheck.userAgent': String(DEFAULTS.lbUserAgent),
      'lbHealthCheck.paths': resolved.lbPaths === null ? 'any path' : String(resolved.lbPaths),
      'lbHealthCheck.unhealthyThreshold': String(DEFAULTS.lbUnhealthyThreshold),
      'lbHealthCheck.margin': DEFAULTS.lbMargin,
      lbType: resolved.lbType,
      sidecarUrl: resolved.sidecarUrl === null ? 'none' : resolved.sidecarUrl,
      sidecarPollInterval: DEFAULTS.sidecarPollInterval,
      managementPort: resolved.managementPort === null ? 'none' : String(resolved.managementPort),
      managementHost: resolved.managementHost === null ? 'all interfaces' : resolved.managementHost,
      paths: Object.values(resolved.paths).join(' '),
      readyOnListen: String(resolved.readyOnListen),
      signals: JSON.stringify(resolved.signals).replaceAll(',', ', '),
      exit: String(resolved.exit),
      metrics: resolved.metrics === 'auto' ? 'on if prom-client is installed' : String(resolved.metrics),
    };
    for (const [option, def] of Object.entries(expected)) expect(table.get(option)?.default, option).toBe(def);
    expect(table.get('gate')?.default).toMatch(/^none/);
  });

  it('usage example: runs as written, serves, becomes ready, keeps connections alive 65 s, drains on SIGTERM and exits 0', async () => {
    const code = /```js\n([\s\S]*?)```/.exec(section('Use'))?.[1];
    expect(code).toContain("import { draingate } from '@draingate/express'");
    // Inside the package, so that '@draingate/express' (self-reference, built dist) and 'express' resolve.
    const dir = mkdtempSync(join(packageDir, '.readme-test-'));
    try {
      const script = join(dir, 'usage.mjs');
      writeFileSync(script, code!);
      const port = await freePort();
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRAINGATE_')));
      const child = spawn(process.execPath, [script], {
        env: { ...clean, PORT: String(port), DRAINGATE_MIN_DELAY: '200ms', DRAINGATE_MAX_DELAY: '500ms' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      try {
        await waitFor(
          () =>
            fetchOnce('http1', port, '/readyz').then(
              (r) => r.status === 200,
              () => false,
            ),
          10_000,
          `/readyz 200\n${stderr}`,
        );
        const hello = await fetchOnce('http1', port, '/');
        expect(hello.status).toBe(200);
        expect(JSON.parse(hello.body)).toEqual({ hello: 'world' });
        expect(hello.headers['keep-alive']).toBe('timeout=65');
        child.kill('SIGTERM');
        await waitFor(
          () =>
            fetchOnce('http1', port, '/readyz').then(
              (r) => r.status === 503,
              () => false,
            ),
          3000,
          '/readyz 503',
        );
        expect(await exited, stderr).toBe(0);
        expect(stderr).toMatch(/state draining -> stopping/);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
