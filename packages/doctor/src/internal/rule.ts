/**
 * What a rule is: its id, metadata (severity, title, why, fix, the reasoning and the deploy timeline it protects)
 * and its check, defined together in one module under rules/ (one file per rule, named by its id, with its
 * fixtures in test/fixtures/rules/<id>.{fail,pass}.yaml) and listed in rules/index.ts.
 */
import type { WorkloadContext } from './context.js';
import type { ObjectRef, Severity } from './finding.js';
import type { LoadBalancer } from './load-balancers.js';
import type { InputProblem, K8sObject } from './objects.js';

/** A rule as the API, `--rules`, `--explain` and the README show it. */
export interface Rule {
  readonly id: string;
  /** The severity of the rule's findings (a few rules report a milder case at a lower severity, said in `why`). */
  readonly severity: Severity;
  readonly title: string;
  readonly why: string;
  readonly fix: string;
  /** The reasoning, with the part of the deploy timeline the rule protects (`draingate doctor --explain`). */
  readonly explain: string;
}

/** Reports a finding of the rule being checked: the object and field to change, what is wrong there. */
export type Report<Target> = (object: Target, field: string | null, message: string, severity?: Severity) => void;

/** The whole input of one unit, for the rules about the input itself. */
export interface Input {
  readonly objects: readonly K8sObject[];
  readonly problems: readonly InputProblem[];
}

/** A rule checked once per workload, on everything that belongs to it (its findings name the workload). */
export interface WorkloadRule extends Rule {
  readonly scope: 'workload';
  readonly check: (ctx: WorkloadContext, report: Report<K8sObject>) => void;
}

/**
 * A rule checked once per load balancer in front of a workload (its findings name the workload). The engine runs
 * these load balancer by load balancer, so a report lists each load balancer's findings together.
 */
export interface LoadBalancerRule extends Rule {
  readonly scope: 'load-balancer';
  readonly check: (ctx: WorkloadContext, lb: LoadBalancer, report: Report<K8sObject>) => void;
}

/** A rule checked once per input unit (its findings belong to no workload). */
export interface InputRule extends Rule {
  readonly scope: 'input';
  readonly check: (input: Input, report: Report<ObjectRef>) => void;
}

export type RuleDefinition = WorkloadRule | LoadBalancerRule | InputRule;

/** What a rule module writes; `explain` is assembled from it. */
type RuleText = Omit<Rule, 'explain'> & {
  /** Why the rule holds, for `--explain`. */
  readonly reasoning: string;
  /** The part of the deploy timeline the rule protects (timelines.ts), for `--explain`. */
  readonly timeline: string;
};

function explain(r: RuleText): string {
  return `${r.id} (${r.severity}): ${r.title}\n\n${r.reasoning}\n\nTimeline it protects:\n${r.timeline}\n\nWhy: ${r.why}\nFix: ${r.fix}\n`;
}

function text(r: RuleText): Rule {
  return { id: r.id, severity: r.severity, title: r.title, why: r.why, fix: r.fix, explain: explain(r) };
}

export function workloadRule(r: RuleText & { readonly check: WorkloadRule['check'] }): WorkloadRule {
  return Object.freeze({ ...text(r), scope: 'workload', check: r.check });
}

export function loadBalancerRule(r: RuleText & { readonly check: LoadBalancerRule['check'] }): LoadBalancerRule {
  return Object.freeze({ ...text(r), scope: 'load-balancer', check: r.check });
}

export function inputRule(r: RuleText & { readonly check: InputRule['check'] }): InputRule {
  return Object.freeze({ ...text(r), scope: 'input', check: r.check });
}

/** The rule as the API shows it: its text only. */
export function publicRule(r: RuleDefinition): Rule {
  return { id: r.id, severity: r.severity, title: r.title, why: r.why, fix: r.fix, explain: r.explain };
}
