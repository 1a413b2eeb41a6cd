/**
 * The registry: every rule doctor checks, one module each (rules/<id>.ts holds the id, the metadata and the check;
 * test/fixtures/rules/<id>.{fail,pass}.yaml its fixtures). Adding a rule: write its module and fixtures, list it
 * in RULE_DEFINITIONS, and document it in the README (its table row and section are tested against the rule).
 */
import { publicRule, type Rule, type RuleDefinition } from '../rule.js';
import { budgetExceedsGracePeriod } from './budget-exceeds-grace-period.js';
import { deregistrationDelayTooShort } from './deregistration-delay-too-short.js';
import { draingateConfigInvalid } from './draingate-config-invalid.js';
import { instanceModeGateDeadlock } from './instance-mode-gate-deadlock.js';
import { kindIgnored } from './kind-ignored.js';
import { lbDetectionSlow } from './lb-detection-slow.js';
import { lbTypeMismatch } from './lb-type-mismatch.js';
import { maxDelayTooShort } from './max-delay-too-short.js';
import { namespaceLabelMissing } from './namespace-label-missing.js';
import { nlbUnhealthyConnectionTermination } from './nlb-unhealthy-connection-termination.js';
import { noLoadBalancer } from './no-load-balancer.js';
import { noWorkload } from './no-workload.js';
import { pdbMissing } from './pdb-missing.js';
import { prestopReachable } from './prestop-reachable.js';
import { prestopSleepNoShell } from './prestop-sleep-no-shell.js';
import { prestopSleepTooLong } from './prestop-sleep-too-long.js';
import { probePathMismatch } from './probe-path-mismatch.js';
import { readinessGateWithoutSidecar } from './readiness-gate-without-sidecar.js';
import { readinessProbeMissing } from './readiness-probe-missing.js';
import { sidecarConfigInvalid } from './sidecar-config-invalid.js';
import { sidecarNotNative } from './sidecar-not-native.js';
import { sidecarRbacMissing } from './sidecar-rbac-missing.js';
import { unhealthyThresholdMismatch } from './unhealthy-threshold-mismatch.js';
import { yamlInvalid } from './yaml-invalid.js';

/** Every rule, in the order `--rules`, the README and `RULES` list them. */
export const RULE_DEFINITIONS: readonly RuleDefinition[] = [
  readinessProbeMissing,
  probePathMismatch,
  instanceModeGateDeadlock,
  namespaceLabelMissing,
  readinessGateWithoutSidecar,
  budgetExceedsGracePeriod,
  draingateConfigInvalid,
  maxDelayTooShort,
  deregistrationDelayTooShort,
  nlbUnhealthyConnectionTermination,
  lbTypeMismatch,
  lbDetectionSlow,
  unhealthyThresholdMismatch,
  prestopSleepTooLong,
  prestopSleepNoShell,
  prestopReachable,
  pdbMissing,
  sidecarRbacMissing,
  sidecarConfigInvalid,
  sidecarNotNative,
  noLoadBalancer,
  yamlInvalid,
  kindIgnored,
  noWorkload,
];

/**
 * The order the checks run in, which is the order a workload's findings are reported in: the rules named here
 * first, in this order (the order of the checks before each rule got its own module, so that reports list
 * findings as they did), then any other rule in registry order. A new rule needs no entry here.
 */
const REPORTED_FIRST: readonly string[] = [
  'readiness-probe-missing',
  'no-load-balancer',
  'probe-path-mismatch',
  'instance-mode-gate-deadlock',
  'deregistration-delay-too-short',
  'lb-detection-slow',
  'unhealthy-threshold-mismatch',
  'namespace-label-missing',
  'readiness-gate-without-sidecar',
  'sidecar-config-invalid',
  'budget-exceeds-grace-period',
  'draingate-config-invalid',
  'prestop-sleep-too-long',
  'prestop-sleep-no-shell',
  'pdb-missing',
  'sidecar-not-native',
  'sidecar-rbac-missing',
];

function byId(id: string): RuleDefinition {
  const rule = RULE_DEFINITIONS.find((r) => r.id === id);
  if (!rule) throw new Error(`doctor: REPORTED_FIRST names ${id}, which is not a rule`);
  return rule;
}

/** The rules in the order they are checked. */
export const CHECK_ORDER: readonly RuleDefinition[] = [
  ...REPORTED_FIRST.map(byId),
  ...RULE_DEFINITIONS.filter((r) => !REPORTED_FIRST.includes(r.id)),
];

/** Every rule's id, severity and text, in registry order (the public `RULES`). */
export const RULES: readonly Rule[] = RULE_DEFINITIONS.map(publicRule);

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
