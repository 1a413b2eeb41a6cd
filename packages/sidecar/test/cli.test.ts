import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeElbv2, TEST_CREDENTIALS } from '@draingate/testkit/elbv2';
import { type ApiServer, freePort, startApiServer } from '@draingate/testkit/k8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition, createPod, GATE, readPod, waitFor } from './helpers/pods.js';
import { getJson, TG1 } from './helpers/sidecar.js';

// The `draingate-sidecar` binary (dist/cli.js) as a process: config errors, and SIGTERM during a preStop wait.
const cli = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
let api: ApiServer;
let elb: FakeElbv2;
let dir: string;
let kubeconfig: string;
beforeAll(async () => {
  api = await startApiServer();
  elb = await new FakeElbv2().start();
  dir = mkdtempSync(join(tmpdir(), 'draingate-sidecar-cli-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, api.adminKubeConfig().exportConfig(), { mode: 0o600 });
}, 150_000);
afterAll(async () => {
  await elb?.stop();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

function run(args: string[], env: Record<string, string>): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  child.stdout?.resume();
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stderr: () => err, exited };
}

describe('draingate-sidecar CLI', () => {
  it('exits 2 with one line naming the missing setting', async () => {
    const p = run([], { POD_NAME: 'web', POD_NAMESPACE: 'ns', POD_UID: 'u', KUBECONFIG: kubeconfig });
    expect(await p.exited).toBe(2);
    expect(p.stderr().trim().split('\n')).toEqual([
      'draingate-sidecar: --source / DRAINGATE_SOURCE is not set: choose one of aws, app, albc.',
    ]);
  });

  it('in a pod without a mounted service account: exits 2 with one line naming the setting and the fix', async () => {
    // No --kubeconfig, KUBERNETES_SERVICE_HOST set: in-cluster auth, but /var/run/secrets/... does not exist here.
    const port = await freePort();
    const p = run(['--source=albc', `--listen=127.0.0.1:${port}`], {
      POD_NAME: 'web',
      POD_NAMESPACE: 'ns',
      POD_UID: 'u',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '1',
    });
    expect(await p.exited).toBe(2);
    const lines = p.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^draingate-sidecar: --kubeconfig \/ KUBECONFIG is not set and the service-account (CA|token) .*serviceaccount\/(ca\.crt|token) cannot be read \(ENOENT\): .*automountServiceAccountToken/,
    );
  });

  it('--help prints the settings and exits 0', async () => {
    const p = run(['--help'], {});
    expect(await p.exited).toBe(0);
  });

  it('SIGTERM during a preStop wait: finishes the wait, answers it, then exits 0', async () => {
    const kc = api.adminKubeConfig();
    const pod = await createPod(kc, 'cli', 'web', { nodeName: 'node-1' });
    elb.set(TG1, '10.0.0.5', 8080, 'healthy');
    const port = await freePort();
    const p = run(
      [
        '--source=aws',
        `--listen=127.0.0.1:${port}`,
        '--poll-interval=200ms',
        '--propagation-bound=200ms',
        `--target-group-arn=${TG1}`,
        '--target-port=8080',
      ],
      {
        POD_NAME: 'web',
        POD_NAMESPACE: 'cli',
        POD_UID: pod.metadata?.uid as string,
        POD_IP: '10.0.0.5',
        KUBECONFIG: kubeconfig,
        AWS_REGION: 'eu-west-1',
        DRAINGATE_AWS_ENDPOINT: elb.url,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      },
    );
    try {
      await waitFor('gate True', async () => condition(await readPod(kc, 'cli', 'web'), GATE)?.status === 'True', 30_000);
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/livez`)).status).toBe(200);
      let answeredAt = 0;
      const prestop = getJson<{ ended: string }>(`${url}/v1/prestop`).then((r) => {
        answeredAt = Date.now();
        return r;
      });
      await waitFor('draining', async () => (await getJson<{ phase: string }>(`${url}/v1/status`)).body.phase === 'draining');
      p.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1000));
      expect(p.child.exitCode).toBeNull(); // still waiting for the LB
      elb.set(TG1, '10.0.0.5', 8080, 'draining');
      expect((await prestop).body.ended).toBe('deregistered');
      expect(await p.exited).toBe(0);
      expect(Date.now() - answeredAt).toBeLessThan(5000);
      expect(p.stderr()).toContain('SIGTERM: finishing the current drain wait');
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  }, 60_000);

  it('SIGTERM with no wait in progress exits 0 at once', async () => {
    const kc = api.adminKubeConfig();
    const pod = await createPod(kc, 'cli', 'idle');
    const port = await freePort();
    const p = run(['--source=albc', `--listen=127.0.0.1:${port}`], {
      POD_NAME: 'idle',
      POD_NAMESPACE: 'cli',
      POD_UID: pod.metadata?.uid as string,
      KUBECONFIG: kubeconfig,
    });
    try {
      await waitFor('listening', async () => (await fetch(`http://127.0.0.1:${port}/livez`)).ok, 20_000);
      const t0 = Date.now();
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  }, 60_000);
});
