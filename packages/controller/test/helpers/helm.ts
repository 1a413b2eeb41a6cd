import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
export const CHART = join(repoRoot, 'charts/draingate-controller');

/**
 * The helm binary test/helm/build.sh built (cached outside the clone; `./run test` builds it): from `DGTEST_HELM_BIN`,
 * else the cache directory build.sh computes (<version>-<first 16 hex of sha256(go.mod ‖ go.sum ‖ build.sh)>).
 */
export function helmBin(): string {
  const dir = join(repoRoot, 'test/helm');
  let bin = process.env.DGTEST_HELM_BIN;
  if (!bin) {
    const goMod = readFileSync(join(dir, 'go.mod'));
    const version = /^require helm\.sh\/helm\/v3 (v\S+)/m.exec(goMod.toString())?.[1];
    const hash = createHash('sha256')
      .update(goMod)
      .update(readFileSync(join(dir, 'go.sum')))
      .update(readFileSync(join(dir, 'build.sh')))
      .digest('hex')
      .slice(0, 16);
    bin = join(process.env.DGTEST_HELM_CACHE ?? join(homedir(), '.cache/draingate/helm'), `${version}-${hash}`, 'bin');
  }
  const helm = join(bin, 'helm');
  if (!existsSync(helm))
    throw new Error(`${helm} does not exist: run test/helm/build.sh (builds Helm from its Go module, ~5 min cold) or ./run test`);
  return helm;
}

/** Runs helm; resolves with stdout, or rejects with its stderr. */
export function helm(args: string[]): { code: number; out: string; err: string } {
  try {
    const out = execFileSync(helmBin(), args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      env: {
        ...process.env,
        HELM_CACHE_HOME: '/tmp/dg-helm-cache',
        HELM_CONFIG_HOME: '/tmp/dg-helm-config',
        HELM_DATA_HOME: '/tmp/dg-helm-data',
      },
    });
    return { code: 0, out, err: '' };
  } catch (e) {
    const x = e as { status?: number; stdout?: string; stderr?: string };
    return { code: x.status ?? 1, out: x.stdout ?? '', err: x.stderr ?? String(e) };
  }
}
