import { parseArgs } from 'node:util';
import { KustomizeError } from './kustomize.js';
import { InputError } from './load.js';
import { checkPaths, formatHuman, formatJson } from './report.js';
import { findRule, RULE_IDS, RULES } from './rules/index.js';

/** What the CLI talks to; the real process in dist/cli.js, anything in tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads all of standard input (only called for the `-` argument). */
  readonly readStdin: () => string;
  /** Colours are used only when this is true (stdout is a TTY and NO_COLOR is not set). */
  readonly color: boolean;
  readonly cwd?: string;
}

export const HELP: string = `Usage: draingate doctor [options] <file|dir|->...

Checks that a Deployment/StatefulSet/DaemonSet/Pod and the Service, Ingress (AWS Load Balancer Controller), Namespace,
PodDisruptionBudget and RBAC that belong to it agree on a zero-downtime rollout behind an AWS ALB/NLB.

Inputs: YAML files (multi-document), directories (their *.yaml/*.yml files; a directory with a
kustomization.yaml is rendered: resources, patches, namespace), or - for standard input
(e.g. kubectl kustomize overlays/prod | draingate doctor -).

Options:
  --format human|json   output format (default human; coloured when stdout is a terminal)
  --explain <rule>      print why a rule matters and the deploy timeline it protects
  --rules               list the rules with their severity
  -h, --help            this help

Exit codes: 0 no errors (warnings allowed), 1 at least one error, 2 usage or input error.
Rules: ${RULE_IDS.join(', ')}
`;

/** Runs `draingate <args>`; returns the exit code. */
export function runCli(argv: readonly string[], io: CliIo): number {
  const args = [...argv];
  if (args[0] === 'doctor') args.shift();
  else if (args[0] !== undefined && !args[0].startsWith('-')) {
    io.stderr(`draingate: unknown command ${JSON.stringify(args[0])}. The command is: draingate doctor <file|dir|->...\n`);
    return 2;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.stderr(`draingate doctor: ${error instanceof Error ? error.message : String(error)}\nRun draingate doctor --help for usage.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (values.rules) {
    const width = Math.max(...RULE_IDS.map((id) => id.length));
    io.stdout(`${RULES.map((r) => `${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.title}`).join('\n')}\n`);
    return 0;
  }
  if (values.explain !== undefined) {
    const rule = findRule(values.explain);
    if (!rule) {
      io.stderr(`draingate doctor: unknown rule ${JSON.stringify(values.explain)}. Valid rules: ${RULE_IDS.join(', ')}.\n`);
      return 2;
    }
    io.stdout(rule.explain);
    return 0;
  }
  const format = values.format ?? 'human';
  if (format !== 'human' && format !== 'json') {
    io.stderr(`draingate doctor: --format must be human or json, got ${JSON.stringify(format)}.\n`);
    return 2;
  }
  if (positionals.length === 0) {
    io.stderr(
      'draingate doctor: no input. Give YAML files, a directory, or - to read standard input.\nRun draingate doctor --help for usage.\n',
    );
    return 2;
  }
  const useStdin = positionals.includes('-');
  if (positionals.filter((p) => p === '-').length > 1) {
    io.stderr('draingate doctor: - (standard input) may be given only once.\n');
    return 2;
  }
  let report: ReturnType<typeof checkPaths>;
  try {
    report = checkPaths(
      positionals.filter((p) => p !== '-'),
      { stdin: useStdin ? io.readStdin() : null, ...(io.cwd !== undefined ? { cwd: io.cwd } : {}) },
    );
  } catch (error) {
    if (error instanceof InputError || error instanceof KustomizeError) {
      io.stderr(`draingate doctor: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  io.stdout(format === 'json' ? formatJson(report) : formatHuman(report, { color: io.color }));
  return report.summary.errors > 0 ? 1 : 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string' },
      explain: { type: 'string' },
      rules: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
