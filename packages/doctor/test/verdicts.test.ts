/**
 * Realistic variants of the good fixture (as Helm or kustomize render them) on which a rule gave a wrong verdict:
 * a false finding on a correct manifest, or silence on a broken one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { checkManifests } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the edits reach deep into parsed YAML, whose shape each test knows
type Doc = Record<string, any>;
const good = readFileSync(join(import.meta.dirname, 'fixtures/good-alb-ip.yaml'), 'utf8');

/** The good fixture, changed by `edit`, checked: `[severity, rule]` of every finding. */
function variant(edit: (docs: Doc[], find: (kind: string) => Doc) => void): string[][] {
  const docs = parseAllDocuments(good)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
  const find = (kind: string): Doc => {
    const d = docs.find((o) => o.kind === kind);
    if (!d) throw new Error(`no ${kind} in the good fixture`);
    return d;
  };
  edit(docs, find);
  const report = checkManifests(docs.map((d) => stringify(d)).join('---\n'), 'variant.yaml');
  return report.units.flatMap((u) => u.findings).map((f) => [f.severity, f.rule]);
}

describe('verdicts on realistic manifests', () => {
  it('the unchanged good fixture has no findings (the baseline of every variant)', () => {
    expect(variant(() => {})).toEqual([]);
  });

  it('a policy/v1 PDB with an empty selector selects every pod of its namespace: no pdb-missing', () => {
    const findings = variant((_, find) => {
      find('PodDisruptionBudget').spec.selector = {};
      find('Deployment').spec.strategy.rollingUpdate.maxUnavailable = 1;
    });
    expect(findings).toEqual([]);
  });

  it('a PDB with no selector at all selects nothing: pdb-missing stays', () => {
    const findings = variant((_, find) => {
      delete find('PodDisruptionBudget').spec.selector;
      find('Deployment').spec.strategy.rollingUpdate.maxUnavailable = 1;
    });
    expect(findings).toEqual([['warning', 'pdb-missing']]);
  });

  it('a StatefulSet without a PDB: its rolling update takes a pod down before replacing it (pdb-missing)', () => {
    const findings = variant((docs, find) => {
      const w = find('Deployment');
      w.kind = 'StatefulSet';
      w.spec.serviceName = 'api';
      w.spec.replicas = 3;
      delete w.spec.strategy;
      docs.splice(docs.indexOf(find('PodDisruptionBudget')), 1);
    });
    expect(findings).toEqual([['warning', 'pdb-missing']]);
  });

  it('a StatefulSet with updateStrategy OnDelete and 3 replicas takes nothing down by itself: no pdb-missing', () => {
    const findings = variant((docs, find) => {
      const w = find('Deployment');
      w.kind = 'StatefulSet';
      w.spec.serviceName = 'api';
      w.spec.replicas = 3;
      w.spec.updateStrategy = { type: 'OnDelete' };
      delete w.spec.strategy;
      docs.splice(docs.indexOf(find('PodDisruptionBudget')), 1);
    });
    expect(findings).toEqual([]);
  });

  it('NLB annotations on a ClusterIP Service (a chart that always renders them) create no NLB', () => {
    const findings = variant((_, find) => {
      const svc = find('Service');
      expect(svc.spec.type ?? 'ClusterIP').toBe('ClusterIP');
      svc.metadata.annotations = {
        ...svc.metadata.annotations,
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      };
    });
    expect(findings).toEqual([]);
  });

  it('the same annotations on a LoadBalancer Service do create an NLB (with its TCP, instance defaults)', () => {
    const findings = variant((_, find) => {
      const svc = find('Service');
      svc.spec.type = 'LoadBalancer';
      svc.metadata.annotations = {
        ...svc.metadata.annotations,
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      };
    });
    expect(findings.map((f) => f[1])).toContain('instance-mode-gate-deadlock');
    expect(findings.map((f) => f[1])).toContain('probe-path-mismatch');
  });
  it('instance targets are nodes, never deregistered when a pod goes: a short deregistration delay is no error there', () => {
    const findings = variant((_, find) => {
      const ing = find('Ingress');
      ing.metadata.annotations['alb.ingress.kubernetes.io/target-type'] = 'instance';
      ing.metadata.annotations['alb.ingress.kubernetes.io/target-group-attributes'] = 'deregistration_delay.timeout_seconds=10';
      find('Service').spec.type = 'NodePort';
    });
    expect(findings.map((f) => f[1])).not.toContain('deregistration-delay-too-short');
  });

  it('the same short deregistration delay with ip targets is an error', () => {
    const findings = variant((_, find) => {
      find('Ingress').metadata.annotations['alb.ingress.kubernetes.io/target-group-attributes'] = 'deregistration_delay.timeout_seconds=10';
    });
    expect(findings).toEqual([['error', 'deregistration-delay-too-short']]);
  });
  const hpa = (minReplicas?: number): Doc => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'api', namespace: 'shop' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      maxReplicas: 10,
      ...(minReplicas ? { minReplicas } : {}),
    },
  });

  it('replicas left to an HPA (a chart with autoscaling on): its minReplicas counts, so 3 pods and no PDB is no "replicas is 1"', () => {
    const findings = variant((docs, find) => {
      delete find('Deployment').spec.replicas;
      find('Deployment').spec.strategy = { type: 'RollingUpdate' };
      docs.splice(docs.indexOf(find('PodDisruptionBudget')), 1);
      docs.push(hpa(3));
    });
    expect(findings).toEqual([]);
  });

  it('an HPA without minReplicas (default 1) and no PDB: pdb-missing on replicas 1', () => {
    const findings = variant((docs, find) => {
      delete find('Deployment').spec.replicas;
      docs.splice(docs.indexOf(find('PodDisruptionBudget')), 1);
      docs.push(hpa());
    });
    expect(findings).toEqual([['warning', 'pdb-missing']]);
  });
});
