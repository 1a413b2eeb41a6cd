// Public API: a list of re-exports only.

export type { CliIo } from './internal/cli-main.js';
export { runCli } from './internal/cli-main.js';
export type { Diagnosis } from './internal/diagnose.js';
export { diagnoseObjects } from './internal/diagnose.js';
export type { Finding, ObjectRef, Severity } from './internal/finding.js';
export { KustomizeError, renderKustomization, strategicMerge } from './internal/kustomize.js';
export type { InputUnit } from './internal/load.js';
export { InputError } from './internal/load.js';
export type { InputProblem, K8sObject, Source } from './internal/objects.js';
export { parseManifests } from './internal/objects.js';
export type { Report, Summary, UnitReport } from './internal/report.js';
export { checkManifests, checkPaths, formatHuman, formatJson, toYaml } from './internal/report.js';
export type { Rule } from './internal/rule.js';
export { RULES } from './internal/rules/index.js';
