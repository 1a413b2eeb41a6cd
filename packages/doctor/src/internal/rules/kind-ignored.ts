import { KNOWN_KINDS } from '../context.js';
import { ref } from '../finding.js';
import { type InputRule, inputRule } from '../rule.js';
import { INPUT_PROBLEM } from '../timelines.js';

export const kindIgnored: InputRule = inputRule({
  id: 'kind-ignored',
  severity: 'info',
  title: 'an object of a kind doctor does not check',
  why: 'Only Deployment, StatefulSet, DaemonSet, Pod, Service, Ingress, Namespace, PodDisruptionBudget, ServiceAccount, Role/ClusterRole and their bindings, HorizontalPodAutoscaler (its minReplicas when spec.replicas is left out) and NetworkPolicy take part in the checks (ValidatingAdmissionPolicies and their bindings are accepted without checks).',
  fix: 'Nothing to do.',
  reasoning: 'Unknown kinds are listed so that a typo in a kind does not go unnoticed.',
  timeline: INPUT_PROBLEM,
  check(input, report) {
    for (const o of input.objects) {
      if (!KNOWN_KINDS.has(o.kind)) report(ref(o), null, `${o.apiVersion} ${o.kind} ${o.name} is not checked by doctor.`);
    }
  },
});
