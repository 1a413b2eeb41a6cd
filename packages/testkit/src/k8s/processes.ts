/**
 * The processes of the test cluster (etcd, kube-apiserver, kube-controller-manager): where their binaries are, a
 * free loopback port for each, a child process that keeps its last log lines for failure messages, and a bounded
 * wait that fails at once when the process exits.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// This file runs from packages/testkit/dist/k8s: four levels below the repository.
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');
const k8sDir = join(repoRoot, 'test/k8s');
const MISSING_HINT = 'run `test/k8s/build.sh` (builds kube-apiserver, kube-controller-manager and etcd once, ~15 min cold) or `./run test`';

/** The directory holding `binaries` (default `etcd` and `kube-apiserver`), or an Error that says how to build them. */
export function k8sBinDir(binaries: readonly string[] = ['etcd', 'kube-apiserver']): string {
  const fromEnv = process.env.DGTEST_K8S_BIN;
  const check = (dir: string, where: string): string => {
    for (const b of binaries) {
      if (!existsSync(join(dir, b)))
        throw new Error(`kube-apiserver test binaries: ${join(dir, b)} (${where}) does not exist; ${MISSING_HINT}`);
    }
    return dir;
  };
  if (fromEnv) return check(fromEnv, 'from DGTEST_K8S_BIN');
  // The same key build.sh computes (its comment names this code's old place, sidecar/test/helpers/apiserver.ts): <k8s-version>-<first 16 hex of sha256(go.mod ‖ go.sum ‖ build.sh)>.
  const goMod = readFileSync(join(k8sDir, 'go.mod'));
  const goSum = readFileSync(join(k8sDir, 'go.sum'));
  const buildSh = readFileSync(join(k8sDir, 'build.sh'));
  const version = /^\s*k8s\.io\/kubernetes\s+(v\S+)/m.exec(goMod.toString())?.[1];
  if (!version) throw new Error(`cannot find the k8s.io/kubernetes version in ${join(k8sDir, 'go.mod')}`);
  const hash = createHash('sha256').update(goMod).update(goSum).update(buildSh).digest('hex').slice(0, 16);
  const cacheRoot = process.env.DGTEST_K8S_CACHE ?? join(homedir(), '.cache/draingate/k8s');
  return check(join(cacheRoot, `${version}-${hash}`, 'bin'), 'build cache; DGTEST_K8S_BIN is not set');
}

/** A free loopback port (the apiserver rejects --secure-port=0, so we pick one). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A child process whose output is kept in memory (the last ~1000–2000 lines), for failure messages only. */
export class Proc {
  readonly out: string[] = [];
  exited: number | string | null = null;
  private readonly done: Promise<void>;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const push = (b: Buffer): void => {
      for (const line of b.toString().split('\n')) if (line) this.out.push(line);
      if (this.out.length > 2000) this.out.splice(0, this.out.length - 1000);
    };
    child.stdout?.on('data', push);
    child.stderr?.on('data', push);
    this.done = new Promise((r) => {
      child.once('exit', (code, signal) => {
        this.exited = code ?? signal ?? 'exited';
        r();
      });
      child.once('error', (e) => {
        this.exited = `spawn error: ${e.message}`;
        r();
      });
    });
  }
  tail(n: number): string {
    return `--- ${this.name} (last ${n} lines) ---\n${this.out.slice(-n).join('\n')}`;
  }
  async kill(): Promise<void> {
    if (this.exited !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.done;
    clearTimeout(timer);
  }
}

/** Polls `probe` every 100 ms until it answers true; fails after `timeoutMs`, or at once when `proc` exits. */
export async function until(
  what: string,
  timeoutMs: number,
  proc: Proc,
  probe: () => Promise<boolean>,
  last: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    if (proc.exited !== null) throw new Error(`${proc.name} exited (${proc.exited}) while waiting for ${what}\n${proc.tail(40)}`);
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (machine overloaded?) ${last()}\n${proc.tail(40)}`);
}
