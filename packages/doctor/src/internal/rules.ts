/** The rules doctor checks: id, severity, why it matters, the fix, and the deploy timeline each one protects. */
import { SIDECAR_GATE, SIDECAR_SOURCES } from './context.js';

export type Severity = 'error' | 'warning' | 'info';

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

const OLD_POD = `Old pod (scale-in, rollout, node drain), DESIGN §1:
  t0      pod deleted ──► kubelet runs preStop, then SIGTERM; the grace-period clock starts
  t0      endpoints change ──► LB controller (1-10 s) ──► LB deregisters the target
          (ALB: seconds; NLB: up to ~2 min until every node stops sending new connections)
  t0..tD  the LB still sends NEW requests: the pod must keep serving them   ← draining (/readyz 503)
  tD      deregistration detected (sidecar, LB health checks, quiet, maxDelay)
  tD..+5s in-flight requests finish (drainTimeout), then hooks (hooksTimeout)
  t0+TGPS SIGKILL (terminationGracePeriodSeconds)`;

const NEW_POD = `New pod (rollout), DESIGN §1:
  tN      container started; readinessProbe passes ──► Kubernetes: Ready
  tN+x    LB controller registers the target; LB health checks: healthy after healthy-threshold × interval
          ⇒ if Kubernetes counts the pod Ready at tN, the rollout deletes an old pod before the LB sends
            traffic to the new one: capacity drops, at worst to zero (502/503)
  Readiness gates make "Ready" wait for the LB: ALBC's target-health.elbv2.k8s.aws/<tgb> (ip mode, namespace
  labelled before the pod was created) or draingate's ${SIDECAR_GATE} (written by the sidecar).`;

function rule(r: Omit<Rule, 'explain'> & { timeline: string; reasoning: string }): Rule {
  return {
    id: r.id,
    severity: r.severity,
    title: r.title,
    why: r.why,
    fix: r.fix,
    explain: `${r.id} (${r.severity}): ${r.title}\n\n${r.reasoning}\n\nTimeline it protects:\n${r.timeline}\n\nWhy: ${r.why}\nFix: ${r.fix}\n`,
  };
}

export const RULES: readonly Rule[] = [
  rule({
    id: 'readiness-probe-missing',
    severity: 'error',
    title: 'the app container has no readinessProbe',
    why: 'Without a readinessProbe a pod is Ready as soon as its containers start, before the app listens, and draining cannot take it out of the Service endpoints by answering 503.',
    fix: 'Add readinessProbe: { httpGet: { path: /readyz, port: <traffic port> }, periodSeconds: 2, failureThreshold: 2 } to the app container.',
    reasoning:
      'The readinessProbe is how Kubernetes (and, through the same path, the load balancer) learns that a new pod can take traffic and that an old one is draining. @draingate/core answers /readyz 200 only once the app called gate.ready(), and 503 from the first moment of draining.',
    timeline: `${NEW_POD}\n\nWithout the probe, "Ready" at tN means "process started", not "listening and warmed up".`,
  }),
  rule({
    id: 'probe-path-mismatch',
    severity: 'error',
    title: "the load balancer's health check does not use the readinessProbe's path",
    why: "The LB decides on its own health check, Kubernetes on the readinessProbe. When they differ (the controller's default is `/`, or a TCP check), the LB sends traffic to a pod that is not ready yet and keeps a draining pod healthy, since `/` answers 200 while /readyz answers 503.",
    fix: 'Set alb.ingress.kubernetes.io/healthcheck-path (ALB) or service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol: http and -healthcheck-path (NLB) to the readinessProbe path, e.g. /readyz.',
    reasoning:
      "Both checks should answer the same question. draingate's /readyz turns 503 the moment draining starts, so an LB checking /readyz marks the target unhealthy after unhealthy-threshold × interval: one more way the LB stops routing, and evidence the app can observe (ELB-HealthChecker requests answered 503).",
    timeline: `${OLD_POD}\n\nAn LB checking \`/\` (or TCP) never sees the 503: only deregistration takes the target out.\n\n${NEW_POD}`,
  }),
  rule({
    id: 'instance-mode-without-gate',
    severity: 'warning',
    title: 'instance targets without the draingate sidecar in `app` mode',
    why: 'With target-type instance the LB targets nodes, so the AWS Load Balancer Controller cannot inject a readiness gate: nothing holds a new pod back until the LB sends it traffic, and nothing observes the old pod leaving the LB.',
    fix: `Prefer target-type ip. If you keep instance targets, run the draingate sidecar with \`--source app\` and declare readinessGates: [{ conditionType: ${SIDECAR_GATE} }].`,
    reasoning:
      "In instance mode the target group holds node:NodePort pairs and kube-proxy picks the pod. ALBC's pod readiness gate only exists for ip targets. The sidecar's `app` source derives the gate from the LB health checks the app itself answered, with no AWS API calls.",
    timeline: NEW_POD,
  }),
  rule({
    id: 'namespace-label-missing',
    severity: 'error',
    title: `ip targets but the namespace lacks elbv2.k8s.aws/pod-readiness-gate-inject: enabled`,
    why: 'The AWS Load Balancer Controller injects its readiness gate only into pods created in a namespace with this label. Without it a rollout can delete old pods before the LB routes to the new ones. (Reported as info when the Namespace is not part of the input.)',
    fix: 'Label the Namespace (metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"]: enabled) before the pods are created; existing pods only get the gate after a restart (kubectl rollout restart).',
    reasoning:
      "The label is read by the controller's mutating webhook at pod creation. Labelling a namespace whose pods already run changes nothing until they are recreated, which is why the kit's Namespace carries the label from the start.",
    timeline: NEW_POD,
  }),
  rule({
    id: 'readiness-gates-missing',
    severity: 'warning',
    title: 'no readiness gate holds new pods back until the load balancer routes to them',
    why: 'Without a readiness gate (declared, or injected by the controller in ip mode), Kubernetes counts a pod Ready before the LB has registered it and its health checks passed; a fast rollout removes old targets first. With the sidecar but no declared gate, the condition it writes is waited for by nobody.',
    fix: `Declare readinessGates: [{ conditionType: ${SIDECAR_GATE} }] with the draingate sidecar, or use ip targets with the namespace label so the controller injects its gate.`,
    reasoning:
      'A readiness gate is an extra pod condition that must be True for the pod to be Ready. The rollout (maxUnavailable/maxSurge) counts Ready pods, so the gate paces the rollout to the LB.',
    timeline: NEW_POD,
  }),
  rule({
    id: 'readiness-gate-without-sidecar',
    severity: 'error',
    title: `${SIDECAR_GATE} is declared but no draingate sidecar writes it`,
    why: 'A declared readiness gate whose condition nobody sets keeps every new pod un-Ready forever: the rollout stalls at the first new pod (progressDeadlineExceeded).',
    fix: 'Add the draingate sidecar (a native sidecar: initContainers entry with restartPolicy: Always) or remove the readiness gate.',
    reasoning: `Kubernetes treats a missing condition of a declared gate as False. Only the sidecar patches ${SIDECAR_GATE}.`,
    timeline: NEW_POD,
  }),
  rule({
    id: 'budget-exceeds-grace-period',
    severity: 'error',
    title: 'the shutdown budget does not fit terminationGracePeriodSeconds',
    why: "preStop sleep + DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT + DRAINGATE_HOOKS_TIMEOUT must end before the kubelet sends SIGKILL, or in-flight requests are cut and hooks never finish. When preStop waits on the sidecar's /v1/prestop, the sidecar's --app-drain-budget must leave the app DRAINGATE_MIN_DELAY + DRAINGATE_DRAIN_TIMEOUT + DRAINGATE_HOOKS_TIMEOUT after it.",
    fix: 'Raise terminationGracePeriodSeconds (and DRAINGATE_GRACE_PERIOD to the same value) above the budget, or lower DRAINGATE_MAX_DELAY / DRAINGATE_DRAIN_TIMEOUT / DRAINGATE_HOOKS_TIMEOUT.',
    reasoning:
      "@draingate/core checks maxDelay + drainTimeout + hooksTimeout < gracePeriod at start, but gracePeriod is what DRAINGATE_GRACE_PERIOD says (default 30s), not the pod's real deadline. doctor checks against terminationGracePeriodSeconds (default 30) and adds any fixed preStop sleep, which runs before SIGTERM on the same clock.",
    timeline: OLD_POD,
  }),
  rule({
    id: 'draingate-config-invalid',
    severity: 'error',
    title: "the app container's DRAINGATE_* environment would make @draingate/core refuse to start",
    why: 'core validates its configuration at start-up and exits with a DraingateConfigError: the pod crash-loops and the rollout stalls.',
    fix: 'Use durations with units ("20s"), whole numbers where a count is expected, known variable names only, minDelay ≤ maxDelay, and DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT + DRAINGATE_HOOKS_TIMEOUT < DRAINGATE_GRACE_PERIOD (default 30s).',
    reasoning:
      'Bare numbers are rejected because nobody can tell seconds from milliseconds; unknown DRAINGATE_* names are rejected because a typo would silently fall back to a default. The budget check uses DRAINGATE_GRACE_PERIOD, so raising only terminationGracePeriodSeconds (e.g. for an NLB) is not enough.',
    timeline: OLD_POD,
  }),
  rule({
    id: 'deregistration-delay-too-short',
    severity: 'error',
    title: 'deregistration_delay.timeout_seconds is shorter than the pod may still serve after deregistration begins',
    why: 'When the deregistration delay ends, the LB closes the connections that are still open to the target: requests the pod is still allowed to finish (up to maxDelay + drainTimeout after draining starts) fail with 502/504.',
    fix: 'Set target-group-attributes: deregistration_delay.timeout_seconds=<at least DRAINGATE_MAX_DELAY + DRAINGATE_DRAIN_TIMEOUT in seconds> (the AWS default, 300, is always enough).',
    reasoning:
      'Deregistration begins at the earliest at t0. From then the pod may serve until draining ends (≤ maxDelay) and in-flight requests complete (≤ drainTimeout); without draingate, until SIGKILL (terminationGracePeriodSeconds). Checked for ip targets only: instance targets are nodes, which stay registered when a pod goes.',
    timeline: OLD_POD,
  }),
  rule({
    id: 'lb-detection-slow',
    severity: 'warning',
    title: "the LB's unhealthy detection is longer than the draining window and there is no other evidence",
    why: 'draingate counts the failing health checks it answers while draining; with interval × unhealthy threshold (+1 s margin) ≥ DRAINGATE_MAX_DELAY and no sidecar, that evidence never arrives in time: every shutdown waits the full maxDelay, and if the LB needs longer than maxDelay, new requests reach a stopping pod.',
    fix: 'Run the draingate sidecar (DRAINGATE_SIDECAR_URL), or shorten the health check (e.g. interval 5 s × 2 = 10 s) so it fits inside DRAINGATE_MAX_DELAY; use HTTP health checks (a TCP check cannot be answered with a failure).',
    reasoning:
      'Evidence ends draining early and safely; maxDelay is only the upper bound. An LB that takes 15 s × 2 = 30 s to mark a target unhealthy cannot be observed within a 20 s maxDelay.',
    timeline: OLD_POD,
  }),
  rule({
    id: 'unhealthy-threshold-mismatch',
    severity: 'error',
    title: "DRAINGATE_LB_UNHEALTHY_THRESHOLD differs from the target group's unhealthy threshold",
    why: "draingate ends draining once each LB node has seen DRAINGATE_LB_UNHEALTHY_THRESHOLD failing checks. If that is lower than the LB's threshold, draining ends while the LB still routes to the pod (error); if higher, the evidence never completes and draining waits for maxDelay (warning).",
    fix: "Set DRAINGATE_LB_UNHEALTHY_THRESHOLD to the LB's unhealthy threshold (ALB default 2, NLB default 3), or set the annotation to match.",
    reasoning: 'The two numbers describe the same thing, seen from each side of the health check.',
    timeline: OLD_POD,
  }),
  rule({
    id: 'prestop-sleep-too-long',
    severity: 'warning',
    title: 'a fixed preStop sleep longer than needed',
    why: 'A preStop sleep delays SIGTERM by a fixed time on every pod deletion: too long slows every rollout and node drain and eats the grace period; with draingate it is redundant, because draining already waits for evidence that the LB has let go.',
    fix: 'With draingate: preStop: { httpGet: { path: /prestop, port: <management port> } } (answers on evidence). Without: keep the sleep at the LB deregistration time (ALB ~20 s, NLB ~120 s) and below terminationGracePeriodSeconds.',
    reasoning:
      'The sleep covers the gap between t0 and deregistration by guessing. draingate measures that gap instead and ends draining as soon as it is over, bounded by [minDelay, maxDelay].',
    timeline: OLD_POD,
  }),
  rule({
    id: 'prestop-sleep-no-shell',
    severity: 'error',
    title: 'preStop runs sleep/sh in an image that has no shell',
    why: 'Distroless, Chainguard and scratch images have no sh and no sleep: the exec hook fails at once (FailedPreStopHook), the kubelet sends SIGTERM immediately, and the app stops while the LB still routes to it: 502.',
    fix: "Use lifecycle.preStop.httpGet to the app's /prestop (draingate), or the built-in lifecycle.preStop.sleep: { seconds: N } (Kubernetes ≥ 1.30).",
    reasoning: 'An exec hook runs inside the container image; a failed hook is logged and ignored.',
    timeline: OLD_POD,
  }),
  rule({
    id: 'pdb-missing',
    severity: 'warning',
    title: 'no PodDisruptionBudget while a disruption can take pods below what is needed',
    why: 'Node drains and cluster upgrades evict pods without looking at the rollout strategy; with one replica, or a strategy that already allows unavailable pods, an eviction without a PodDisruptionBudget can remove the last serving pods at once.',
    fix: 'Run at least 2 replicas and add a PodDisruptionBudget selecting the pods (e.g. maxUnavailable: 1); set the rollout strategy to maxUnavailable: 0, maxSurge: 1.',
    reasoning:
      'A PDB makes evictions wait until enough pods are Ready (readiness gates included), so node drains proceed at the pace of the LB.',
    timeline: `${OLD_POD}\n\n${NEW_POD}`,
  }),
  rule({
    id: 'sidecar-rbac-missing',
    severity: 'error',
    title: 'the draingate sidecar lacks the RBAC it needs',
    why: 'The sidecar reads and watches its own pod, patches pods/status (the readiness gate), creates Events and, for the aws source, lists TargetGroupBindings and reads their Service (and its Node in instance mode). Without these it cannot set the gate (new pods never become Ready) or see the pod being deleted.',
    fix: "Bind the pod's ServiceAccount to a Role with: pods get/watch, pods/status patch, events create and, for the aws source, targetgroupbindings.elbv2.k8s.aws list and services get (plus nodes get through a ClusterRole and ClusterRoleBinding in instance mode); see examples/k8s/base/rbac.yaml.",
    reasoning:
      'doctor looks for RoleBindings/ClusterRoleBindings in the input that name the ServiceAccount and for the rules of the Roles/ClusterRoles they reference.',
    timeline: NEW_POD,
  }),
  rule({
    id: 'sidecar-config-invalid',
    severity: 'error',
    title: "the draingate sidecar's settings do not fit the pod or the load balancer",
    why: "The sidecar refuses to start without --source and the downward-API pod identity, the aws source needs the region and the pod IP (ip mode), the app source needs core's /status URL; a sidecar port other than the one in DRAINGATE_SIDECAR_URL means core never hears from it; a preStop on the sidecar's port fails when the sidecar listens on loopback only (kubelet calls the pod IP); a target type other than the LB's means the sidecar looks for a target that does not exist (the gate never turns True). A healthy threshold below the LB's turns the gate True before the LB routes (error); above it, later than needed (warning). A readinessProbe on the sidecar can take the whole pod out of the LB (warning).",
    fix: `Give the sidecar --source ${SIDECAR_SOURCES.join('|')}, POD_NAME/POD_NAMESPACE/POD_UID/POD_IP from the downward API, AWS_REGION (aws) or --app-status-url http://127.0.0.1:<management port>/status (app), --healthy-threshold = the LB's healthy threshold (app), --target-type = the LB's target type (aws), and point DRAINGATE_SIDECAR_URL at its --listen port; see examples/k8s/base/deployment.yaml.`,
    reasoning:
      'The sidecar validates its configuration at start and exits on an error (packages/sidecar: `draingate-sidecar --help`). As a native sidecar that crash-loops, it holds the whole pod back.',
    timeline: `${NEW_POD}\n\n${OLD_POD}`,
  }),
  rule({
    id: 'sidecar-not-native',
    severity: 'error',
    title: 'the draingate sidecar is not a native sidecar',
    why: 'As an init container without restartPolicy: Always it never completes, so the pod never starts (error). As a regular container it receives SIGTERM together with the app and may exit while the app still drains, taking the deregistration evidence with it (warning).',
    fix: 'Put the sidecar under initContainers with restartPolicy: Always (Kubernetes ≥ 1.29): it starts before the app and stops after it.',
    reasoning: 'Native sidecars are started before regular containers and terminated after all of them have exited.',
    timeline: OLD_POD,
  }),
  rule({
    id: 'no-load-balancer',
    severity: 'info',
    title: 'no AWS load balancer found for the workload',
    why: 'Without a Service selecting the pods and an ALB Ingress or NLB Service in the input, the load-balancer rules cannot be checked.',
    fix: 'Pass the Service and Ingress manifests together with the workload (same directory, same kustomization, or several files).',
    reasoning: 'doctor only checks what it is given.',
    timeline: OLD_POD,
  }),
  rule({
    id: 'yaml-invalid',
    severity: 'error',
    title: 'a document could not be read',
    why: 'A YAML syntax error or a document that is not a Kubernetes object: kubectl would reject it too.',
    fix: 'Fix the document at the line shown (YAML syntax, or add apiVersion and kind).',
    reasoning: 'The other documents are still checked.',
    timeline: '(none: input problem)',
  }),
  rule({
    id: 'kind-ignored',
    severity: 'info',
    title: 'an object of a kind doctor does not check',
    why: 'Only Deployment, StatefulSet, DaemonSet, Pod, Service, Ingress, Namespace, PodDisruptionBudget, ServiceAccount, Role/ClusterRole and their bindings, and HorizontalPodAutoscaler (its minReplicas when spec.replicas is left out) take part in the checks.',
    fix: 'Nothing to do.',
    reasoning: 'Unknown kinds are listed so that a typo in a kind does not go unnoticed.',
    timeline: '(none: input problem)',
  }),
  rule({
    id: 'no-workload',
    severity: 'warning',
    title: 'no Deployment, StatefulSet, DaemonSet or Pod in the input',
    why: 'Every rule starts from a workload; without one nothing was checked.',
    fix: 'Pass the files or directory that contain the workload.',
    reasoning: 'An empty or wrong input should not look like a clean result.',
    timeline: '(none: input problem)',
  }),
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
