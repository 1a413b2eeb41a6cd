import { type InputRule, inputRule } from '../rule.js';
import { INPUT_PROBLEM } from '../timelines.js';

export const yamlInvalid: InputRule = inputRule({
  id: 'yaml-invalid',
  severity: 'error',
  title: 'a document could not be read',
  why: 'A YAML syntax error or a document that is not a Kubernetes object: kubectl would reject it too.',
  fix: 'Fix the document at the line shown (YAML syntax, or add apiVersion and kind).',
  reasoning: 'The other documents are still checked.',
  timeline: INPUT_PROBLEM,
  check(input, report) {
    for (const p of input.problems) {
      report({ kind: '(document)', name: '-', namespace: null, file: p.source.file, line: p.source.line }, null, p.message);
    }
  },
});
