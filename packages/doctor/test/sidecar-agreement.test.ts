/**
 * doctor reads the sidecar's flags, environment variables and defaults from the settings table core hosts
 * (`SIDECAR_SETTINGS`), the one the sidecar itself parses. These tests check doctor's reading against the sidecar's
 * real parser, imported by the tests only: doctor itself must not depend on @draingate/sidecar.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SIDECAR_SETTINGS } from '@draingate/core/internal';
import { resolveConfig as resolveSidecarConfig, SETTINGS } from '@draingate/sidecar';
import { describe, expect, it } from 'vitest';
import { checkManifests, parseManifests } from '../src/index.js';
import { buildContext } from '../src/internal/context.js';
import { SIDECAR_DEFAULTS, SIDECAR_GATE } from '../src/internal/sidecar.js';

/** A bare Pod whose draingate sidecar gets these args and env. */
function pod(args: string[], env: Record<string, string>): string {
  const lines = Object.entries(env).map(([name, value]) => `        - { name: ${name}, value: ${JSON.stringify(value)} }`);
  return `apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  initContainers:
    - name: draingate-sidecar
      image: ghcr.io/draingate/sidecar:0.1.0
      restartPolicy: Always
      args: ${JSON.stringify(args)}
      env:
${lines.join('\n') || '        []'}
  containers:
    - name: app
      image: registry.example/web:1
`;
}

function sidecarOf(text: string) {
  const { objects } = parseManifests(text, 'x.yaml');
  const workload = objects.find((o) => o.kind === 'Pod');
  if (!workload) throw new Error('no Pod');
  const sidecar = buildContext(workload, objects).sidecar;
  if (!sidecar) throw new Error('no sidecar found');
  return sidecar;
}

const IDENTITY = { POD_NAME: 'web', POD_NAMESPACE: 'demo', POD_UID: 'uid-1', KUBERNETES_SERVICE_HOST: '10.0.0.1' };
const APP = ['--source', 'app', '--app-status-url', 'http://127.0.0.1:9000/status'];

describe('agreement with the sidecar', () => {
  it("the sidecar's table is the one core hosts", () => {
    expect(SETTINGS).toBe(SIDECAR_SETTINGS);
  });

  it('the defaults doctor uses are what the sidecar resolves when nothing is set', () => {
    const config = resolveSidecarConfig(APP, IDENTITY);
    expect(`${config.listenHost}:${config.listenPort}`).toBe(SIDECAR_DEFAULTS.listen);
    expect(config.conditionType).toBe(SIDECAR_DEFAULTS.conditionType);
    expect(config.conditionType).toBe(SIDECAR_GATE);
    expect(config.aws.targetType).toBe(SIDECAR_DEFAULTS.targetType);
    expect(config.app.healthyThreshold).toBe(SIDECAR_DEFAULTS.healthyThreshold);
    expect(config.appDrainBudgetMs).toBe(SIDECAR_DEFAULTS.appDrainBudget);
    const sidecar = sidecarOf(pod(APP, {}));
    expect(sidecar.listenPort).toBe(config.listenPort);
    expect(sidecar.conditionType).toBe(config.conditionType);
  });

  it('reads every setting of the sidecar from the environment variable the sidecar reads', () => {
    const env = Object.fromEntries(SIDECAR_SETTINGS.map((s) => [s.env, `value-of-${s.flag}`]));
    const sidecar = sidecarOf(pod([], env));
    for (const s of SIDECAR_SETTINGS) {
      expect(sidecar.values[s.flag], s.env).toBe(`value-of-${s.flag}`);
      expect(sidecar.from[s.flag], s.env).toBe(s.env);
    }
  });

  it('a flag wins over its environment variable, as in the sidecar', () => {
    const args = [...APP, '--listen=0.0.0.0:9911', '--condition-type', 'example.com/lb'];
    const env = { ...IDENTITY, DRAINGATE_LISTEN: '127.0.0.1:9922', DRAINGATE_CONDITION_TYPE: 'example.com/other' };
    const config = resolveSidecarConfig(args, env);
    const sidecar = sidecarOf(pod(args, env));
    expect(sidecar.listenPort).toBe(config.listenPort);
    expect(sidecar.listenPort).toBe(9911);
    expect(sidecar.conditionType).toBe(config.conditionType);
    expect(sidecar.from.listen).toBe('--listen');
  });

  it('accepts the sources the sidecar accepts and refuses the ones it refuses', () => {
    const source = SIDECAR_SETTINGS.find((s) => s.flag === 'source');
    for (const value of [...(source?.values ?? []), 'nope']) {
      let sidecarRefuses = false;
      try {
        resolveSidecarConfig(['--source', value], IDENTITY);
      } catch (error) {
        sidecarRefuses = (error as { setting?: string }).setting === 'source';
      }
      const doctorRefuses = checkManifests(pod(['--source', value], IDENTITY))
        .units.flatMap((u) => u.findings)
        .some((f) => f.rule === 'sidecar-config-invalid' && f.message.includes('--source / DRAINGATE_SOURCE is'));
      expect(doctorRefuses, value).toBe(sidecarRefuses);
    }
  });
});

describe('dependencies', () => {
  const pkg = join(import.meta.dirname, '..');
  it('doctor depends on core and yaml only: not on the sidecar, its AWS SDK or its Kubernetes client', () => {
    const json = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    expect(Object.keys(json.dependencies ?? {}).sort()).toEqual(['@draingate/core', 'yaml']);
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) =>
        statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : [],
      );
    const imported = new Set<string>();
    for (const file of files(join(pkg, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)) {
        const spec = m[1] as string;
        if (!spec.startsWith('.') && !spec.startsWith('node:')) imported.add(spec);
      }
    }
    expect([...imported].sort()).toEqual(['@draingate/core', '@draingate/core/internal', 'yaml']);
  });
});
