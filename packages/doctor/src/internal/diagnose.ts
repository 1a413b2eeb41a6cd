/** The engine: runs every rule of the registry on a set of objects and collects the findings. */
import { buildContext, WORKLOAD_KINDS } from './context.js';
import { type Finding, type ObjectRef, ref, type Severity } from './finding.js';
import type { InputProblem, K8sObject } from './objects.js';
import type { LoadBalancerRule, Report, RuleDefinition } from './rule.js';
import { CHECK_ORDER } from './rules/index.js';

/** The result of checking one set of objects. */
export interface Diagnosis {
  readonly workloads: readonly ObjectRef[];
  readonly findings: readonly Finding[];
}

function finding(
  rule: RuleDefinition,
  workload: ObjectRef | null,
  object: ObjectRef,
  field: string | null,
  message: string,
  severity?: Severity,
): Finding {
  return { rule: rule.id, severity: severity ?? rule.severity, workload, object, field, message, why: rule.why, fix: rule.fix };
}

/** Checks a set of objects that belong together (plus the problems met while reading them). */
export function diagnoseObjects(objects: readonly K8sObject[], problems: readonly InputProblem[] = []): Diagnosis {
  const findings: Finding[] = [];
  for (const rule of CHECK_ORDER) {
    if (rule.scope !== 'input') continue;
    rule.check({ objects, problems }, (object, field, message, severity) =>
      findings.push(finding(rule, null, object, field, message, severity)),
    );
  }
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
  // The load-balancer rules run together, load balancer by load balancer, where the first of them is in the order.
  const lbRules = CHECK_ORDER.filter((r): r is LoadBalancerRule => r.scope === 'load-balancer');
  for (const w of workloads) {
    const ctx = buildContext(w, objects);
    const wref = ref(w);
    const reporter =
      (rule: RuleDefinition): Report<K8sObject> =>
      (object, field, message, severity) =>
        findings.push(finding(rule, wref, ref(object), field, message, severity));
    for (const rule of CHECK_ORDER) {
      if (rule.scope === 'workload') rule.check(ctx, reporter(rule));
      else if (rule === lbRules[0]) for (const lb of ctx.loadBalancers) for (const r of lbRules) r.check(ctx, lb, reporter(r));
    }
  }
  return { workloads: workloads.map(ref), findings };
}
