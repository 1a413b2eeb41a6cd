import type { WorkloadContext } from '../context.js';
import { get, isObj, objs, str } from '../objects.js';
import { type WorkloadRule, workloadRule } from '../rule.js';
import { NEW_POD } from '../timelines.js';

type Perm = readonly [group: string, resource: string, verb: string];

function grants(rules: unknown, [group, resource, verb]: Perm): boolean {
  return objs(rules).some((r) => {
    const has = (list: unknown, v: string): boolean => Array.isArray(list) && (list.includes(v) || list.includes('*'));
    return has(r.apiGroups, group) && has(r.resources, resource) && has(r.verbs, verb);
  });
}

/** Where the sidecar (an in-cluster client) reads its token, CA and namespace. */
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Does the sidecar mount a projected volume with a serviceAccountToken at SA_DIR (the kit's token of its own)? */
function mountsOwnToken(ctx: WorkloadContext): boolean {
  const sc = ctx.sidecar;
  if (!sc) return false;
  const mount = objs(sc.container.spec.volumeMounts).find((m) => str(m.mountPath)?.replace(/\/$/, '') === SA_DIR);
  const volume = mount ? objs(ctx.pod.volumes).find((v) => v.name === mount.name) : undefined;
  return objs(get(volume, 'projected', 'sources')).some((src) => isObj(src.serviceAccountToken));
}

export const sidecarRbacMissing: WorkloadRule = workloadRule({
  id: 'sidecar-rbac-missing',
  severity: 'error',
  title: 'the draingate sidecar lacks the RBAC it needs',
  why: 'The sidecar reads and watches its own pod, patches pods/status (the readiness gate), creates Events and, for the aws source, lists TargetGroupBindings and reads their Service (and its Node in instance mode). Without these it cannot set the gate (new pods never become Ready) or see the pod being deleted. With automountServiceAccountToken: false, it needs a token of its own: a projected serviceAccountToken volume mounted into the sidecar container at /var/run/secrets/kubernetes.io/serviceaccount.',
  fix: "Bind the pod's ServiceAccount to a Role with: pods get/watch, pods/status patch, events create and, for the aws source, targetgroupbindings.elbv2.k8s.aws list and services get (plus nodes get through a ClusterRole and ClusterRoleBinding in instance mode); see examples/k8s/sidecar/rbac.yaml, and examples/k8s/sidecar/sidecar.yaml for a token mounted into the sidecar alone.",
  reasoning:
    'doctor looks for RoleBindings/ClusterRoleBindings in the input that name the ServiceAccount and for the rules of the Roles/ClusterRoles they reference.',
  timeline: NEW_POD,
  check(ctx, report) {
    const sc = ctx.sidecar;
    if (!sc) return;
    const w = ctx.workload;
    const POD = ctx.podPath;
    const sa = str(ctx.pod.serviceAccountName) ?? str(ctx.pod.serviceAccount) ?? 'default';
    if (ctx.pod.automountServiceAccountToken === false && !mountsOwnToken(ctx)) {
      report(
        w,
        `${POD}.automountServiceAccountToken`,
        `automountServiceAccountToken is false and the sidecar mounts no projected serviceAccountToken at ${SA_DIR}: it has no credentials for the Kubernetes API.`,
      );
    }
    const ns = ctx.namespace;
    const rules: unknown[] = [];
    const clusterRules: unknown[] = [];
    for (const b of ctx.all) {
      if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
      if (b.kind === 'RoleBinding' && !(b.namespace === null || ns === null || b.namespace === ns)) continue;
      const bound = objs(b.raw.subjects).some(
        (s) => s.kind === 'ServiceAccount' && s.name === sa && (s.namespace === undefined || ns === null || s.namespace === ns),
      );
      if (!bound) continue;
      const roleKind = get(b.raw, 'roleRef', 'kind');
      const roleName = get(b.raw, 'roleRef', 'name');
      const role = ctx.all.find(
        (r) =>
          r.kind === roleKind &&
          r.name === roleName &&
          (r.kind === 'ClusterRole' || r.namespace === null || b.namespace === null || r.namespace === b.namespace),
      );
      if (!role) continue;
      rules.push(...objs(role.raw.rules));
      // Cluster-scoped resources (nodes) are only granted through a ClusterRoleBinding.
      if (b.kind === 'ClusterRoleBinding') clusterRules.push(...objs(role.raw.rules));
    }
    const needed: Perm[] = [
      ['', 'pods', 'get'],
      ['', 'pods', 'watch'],
      ['', 'pods/status', 'patch'],
      ['', 'events', 'create'],
    ];
    const v = sc.values;
    if (sc.source === 'aws' && v['target-group-arn'] === undefined) needed.push(['elbv2.k8s.aws', 'targetgroupbindings', 'list']);
    if (sc.source === 'aws' && v['target-port'] === undefined) needed.push(['', 'services', 'get']);
    const clusterNeeded: Perm[] =
      sc.source === 'aws' && v['target-type'] === 'instance' && v['instance-id'] === undefined ? [['', 'nodes', 'get']] : [];
    const missing = [...needed.filter((p) => !grants(rules, p)), ...clusterNeeded.filter((p) => !grants(clusterRules, p))];
    if (missing.length > 0) {
      report(
        w,
        `${POD}.serviceAccountName${ctx.pod.serviceAccountName === undefined ? ' (not set: default)' : ''}`,
        `ServiceAccount ${sa} is not granted (by a Role/ClusterRole bound in the input): ${missing.map(([g, r, v]) => `${v} ${g ? `${r}.${g}` : r}`).join(', ')}.`,
      );
    }
  },
});
