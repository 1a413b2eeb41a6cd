import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSidecarStatus } from '@draingate/core/internal';
import { TEST_CREDENTIALS } from '@draingate/testkit/elbv2';
import { dockerfileInstructions, ensureNamespace } from '@draingate/testkit/k8s';
import { afterAll, describe, expect, it } from 'vitest';
import { condition, GATE, readPod, serviceAndBinding, useCluster, waitFor } from './helpers/cluster.js';
import { createPods, podIp, TG1 } from './helpers/controllers.js';

// The image's bundle without a container engine: the Dockerfile's shape, and its exact `pnpm deploy --prod` output
// run by a bare `node` in a directory outside the workspace, against the real kube-apiserver and the fake ELBv2.
// A runtime dependency declared only in the workspace (or as a devDependency) fails here, as it would in the image.
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');
const read = (p: string): string => readFileSync(join(pkg, p), 'utf8');
const cluster = useCluster();

describe('Dockerfile', () => {
  it('multi-stage from the workspace: pnpm deploy --prod of @draingate/controller, distroless, numeric non-root user, entrypoint = the bin', () => {
    const ins = dockerfileInstructions(read('Dockerfile'));
    const froms = ins.map((i, n) => ({ ...i, n })).filter((i) => i.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const final = ins.slice((froms.at(-1) as { n: number }).n);
    const run = ins
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join(' ');
    expect(run).toContain('--frozen-lockfile');
    expect(run).toMatch(/pnpm --filter @draingate\/controller --prod deploy \/out/);
    for (const c of final.filter((i) => i.op === 'COPY')) expect(c.args).toMatch(/^--from=build \/out\//);
    expect(final.some((i) => i.op === 'RUN')).toBe(false);
    expect(froms.at(-1)?.args).toMatch(/^gcr\.io\/distroless\/nodejs\d+/);
    expect(final.filter((i) => i.op === 'USER').at(-1)?.args).toMatch(/^[1-9]\d*:\d+$/);
    const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin['draingate-controller'] as string;
    expect(JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]').at(-1)).toBe(join('/app', bin));
  });
});

describe('the production bundle (pnpm deploy --prod) outside the workspace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'draingate-controller-bundle-'));
  let child: ChildProcess | null = null;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('bare node runs dist/cli.js: it leads, turns a gate True and serves the per-pod status; no dev dependency in the bundle', async () => {
    const out = join(dir, 'bundle');
    execFileSync('pnpm', ['--filter', '@draingate/controller', '--prod', 'deploy', out], { cwd: root, stdio: 'pipe', timeout: 120_000 });
    expect(existsSync(join(out, 'dist', 'cli.js'))).toBe(true);
    for (const dev of ['@draingate/testkit', 'yaml', 'vitest', 'typescript'])
      expect(existsSync(join(out, 'node_modules', dev)), dev).toBe(false);

    const kc = cluster.admin();
    const ns = 'ctl-bundle';
    await serviceAndBinding(kc, ns, 'web', TG1, { targetPort: 'http' });
    await ensureNamespace(kc, 'draingate-system');
    cluster.elb.set(TG1, podIp(0), 8080, 'healthy');
    const [pod] = await createPods(kc, ns, 'web', 1);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });

    let output = '';
    child = spawn(process.execPath, [join(out, 'dist', 'cli.js')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: '/usr/bin:/bin',
        HOME: dir,
        KUBECONFIG: kubeconfig,
        POD_NAME: 'bundle-0',
        POD_NAMESPACE: 'draingate-system',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        DRAINGATE_AWS_ENDPOINT: cluster.elb.url,
        DRAINGATE_LISTEN: '127.0.0.1:0',
        DRAINGATE_WATCH_NAMESPACE: ns,
        DRAINGATE_POLL_INTERVAL: '1s',
        DRAINGATE_LEASE_DURATION: '3s',
        DRAINGATE_RENEW_DEADLINE: '2s',
        DRAINGATE_RETRY_PERIOD: '500ms',
      },
    });
    child.stdout?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    const url = await waitFor('the bundle to listen', () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], 30_000).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${output.slice(-3000)}`);
      },
    );
    const name = pod?.metadata?.name as string;
    await waitFor('the gate True', async () => condition(await readPod(kc, ns, name), GATE)?.status === 'True', 30_000);
    const res = await fetch(`${url}/v1/pods/${ns}/${name}/status`);
    expect(res.status).toBe(200);
    expect(checkSidecarStatus(await res.json())).toBeNull();
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = null;
  }, 150_000);
});
