import { WORKLOAD_KINDS } from '../context.js';
import { type InputRule, inputRule } from '../rule.js';
import { INPUT_PROBLEM } from '../timelines.js';

export const noWorkload: InputRule = inputRule({
  id: 'no-workload',
  severity: 'warning',
  title: 'no Deployment, StatefulSet, DaemonSet or Pod in the input',
  why: 'Every rule starts from a workload; without one nothing was checked.',
  fix: 'Pass the files or directory that contain the workload.',
  reasoning: 'An empty or wrong input should not look like a clean result.',
  timeline: INPUT_PROBLEM,
  check(input, report) {
    if (input.objects.some((o) => WORKLOAD_KINDS.has(o.kind))) return;
    const where = input.objects[0]?.source.file ?? input.problems[0]?.source.file ?? '-';
    report(
      { kind: '(input)', name: '-', namespace: null, file: where, line: 1 },
      null,
      input.objects.length === 0
        ? 'the input holds no Kubernetes objects.'
        : 'the input holds no Deployment, StatefulSet, DaemonSet or Pod: nothing to check.',
    );
  },
});
