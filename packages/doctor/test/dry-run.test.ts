/**
 * Server-side dry-run (`kubectl apply --dry-run=server`) of every kit manifest against a real kube-apiserver
 * (packages/sidecar's fixture: etcd + kube-apiserver built from their Go modules, test/k8s/build.sh). Proves the
 * kit is valid for the API server itself, not just for doctor: schemas, native sidecars (restartPolicy: Always
 * on an init container), readiness gates, RBAC, PDB and Ingress.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ApiServer, dryRunApply, startApiServer } from '@draingate/testkit/k8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../src/index.js';

const root = resolve(import.meta.dirname, '../../..');
const rendered = join(root, 'examples/k8s/rendered');
const base = join(root, 'examples/k8s/base');

let api: ApiServer;
beforeAll(async () => {
  api = await startApiServer();
}, 120_000);
afterAll(async () => {
  await api?.stop();
}, 30_000);

describe('server-side dry-run of examples/k8s', () => {
  const files = readdirSync(rendered)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('covers the three overlays', () => {
    expect(files).toEqual(['alb-instance.yaml', 'alb-ip.yaml', 'nlb-ip.yaml']);
  });

  for (const file of files) {
    it(`rendered/${file}: the API server accepts every document`, async () => {
      const text = readFileSync(join(rendered, file), 'utf8');
      const results = await dryRunApply(api.adminKubeConfig(), text);
      const expected = parseManifests(text, file).objects.map((o) => `${o.kind}/${o.name}`);
      expect(results.map((r) => `${r.kind}/${r.name}`)).toEqual(expected);
      expect(results.filter((r) => r.error !== null).map((r) => `${r.kind}/${r.name}: ${r.error}`)).toEqual([]);
    }, 60_000);
  }

  for (const file of readdirSync(base)
    .filter((f) => f !== 'kustomization.yaml' && f.endsWith('.yaml'))
    .sort()) {
    it(`base/${file} on its own: accepted`, async () => {
      const results = await dryRunApply(api.adminKubeConfig(), readFileSync(join(base, file), 'utf8'));
      expect(results.length).toBeGreaterThan(0);
      expect(results.filter((r) => r.error !== null).map((r) => `${r.kind}/${r.name}: ${r.error}`)).toEqual([]);
    }, 60_000);
  }

  it('the dry-run can fail: an invalid manifest is rejected (so the passes above mean something)', async () => {
    const text = readFileSync(join(rendered, 'alb-ip.yaml'), 'utf8').replace('restartPolicy: Always', 'restartPolicy: Sometimes');
    const results = await dryRunApply(api.adminKubeConfig(), text);
    const failed = results.filter((r) => r.error !== null);
    expect(failed.map((r) => `${r.kind}/${r.name}`)).toEqual(['Deployment/web']);
    expect(failed[0]?.code).toBe(422);
    expect(failed[0]?.error).toContain('restartPolicy');
  }, 60_000);
});
