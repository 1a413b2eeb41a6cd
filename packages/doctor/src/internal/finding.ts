/** What a check produces: a finding about one object of the input, with the rule's severity, why and fix. */
import type { K8sObject } from './objects.js';

export type Severity = 'error' | 'warning' | 'info';

/** A reference to an object of the input, with where it came from. */
export interface ObjectRef {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | null;
  readonly file: string;
  readonly line: number;
}

/** One problem found. */
export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  /** The Deployment/StatefulSet the finding belongs to, or `null` for input problems. */
  readonly workload: ObjectRef | null;
  /** The object to change. */
  readonly object: ObjectRef;
  /** The field in that object, e.g. `spec.template.spec.terminationGracePeriodSeconds`; `null` for the whole object. */
  readonly field: string | null;
  readonly message: string;
  readonly why: string;
  readonly fix: string;
}

export function ref(o: K8sObject): ObjectRef {
  return { kind: o.kind, name: o.name, namespace: o.namespace, file: o.source.file, line: o.source.line };
}
