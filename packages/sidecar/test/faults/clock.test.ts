/**
 * Fault: the wall clock jumps by an hour while kubelet's preStop waits on `/v1/prestop`. The sidecar binary runs with
 * core's clock-jump preload (packages/core/test/faults/fixtures/clock-jump.mjs): each SIGUSR2 moves `Date.now()` and
 * `new Date()` by CLOCK_JUMP_MS, while `performance.now()` and timers keep real time. The wait must last what it
 * should (here `--fallback-delay`, the albc source cannot see deregistration): not end at once (+1 h) nor hang (-1 h).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '@draingate/testkit/k8s';
import { describe, expect, it } from 'vitest';
import type { PrestopResult } from '../../src/internal/prestop.js';
import { useCluster } from '../helpers/cluster.js';
import { createPod, waitFor } from '../helpers/pods.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '../../dist/cli.js');
const preload = pathToFileURL(join(here, '../../../core/test/faults/fixtures/clock-jump.mjs')).href;
const HOUR = 3_600_000;
const cluster = useCluster();

describe.each([
  ['+1 h', HOUR],
  ['-1 h', -HOUR],
])('fault: the wall clock jumps %s during a /v1/prestop wait', (name, jumpMs) => {
  it('the wait still lasts --fallback-delay (2s), measured on the monotonic clock', async () => {
    const ns = `clock-${jumpMs > 0 ? 'forward' : 'back'}`;
    const pod = await createPod(cluster.admin(), ns, 'web', { nodeName: 'node-1', grace: 60 });
    const dir = mkdtempSync(join(tmpdir(), 'draingate-clock-'));
    cluster.defer(() => rmSync(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, cluster.admin().exportConfig(), { mode: 0o600 });
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', preload, cli, '--source=albc', `--listen=127.0.0.1:${port}`, `--kubeconfig=${kubeconfig}`, '--fallback-delay=2s'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          POD_NAME: 'web',
          POD_NAMESPACE: ns,
          POD_UID: pod.metadata?.uid as string,
          CLOCK_JUMP_MS: String(jumpMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.resume();
    cluster.defer(async () => {
      child.kill('SIGKILL');
      if (child.exitCode === null) await once(child, 'exit');
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor('the sidecar to listen', () =>
      fetch(`${url}/livez`).then(
        (r) => r.ok,
        () => false,
      ),
    );

    const t0 = performance.now();
    const answer = fetch(`${url}/v1/prestop`, { signal: AbortSignal.timeout(8000) }).then(
      (r) => r.json() as Promise<PrestopResult>,
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGUSR2');
    await waitFor('the clock to jump', () => stdout.includes('clock-jumped'));
    const result = await answer;
    const elapsed = performance.now() - t0;
    expect(result, `${name}: the wait did not end within 8 s`).not.toBeInstanceOf(Error);
    expect((result as PrestopResult).ended).toBe('fallback-delay');
    expect(elapsed).toBeGreaterThanOrEqual(1950);
    expect(elapsed).toBeLessThan(3500);
    expect((result as PrestopResult).waitedMs).toBeGreaterThanOrEqual(1950);
    expect((result as PrestopResult).waitedMs).toBeLessThan(3500);
  }, 30_000);
});
