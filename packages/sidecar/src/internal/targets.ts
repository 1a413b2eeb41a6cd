import type { LbType } from '@draingate/core';
import { LB_TYPES, lbTypeOfProtocol } from '@draingate/core/internal';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { TargetType } from './config.js';
import { Failure } from './failures.js';
import type { Observation, TargetReport } from './sources.js';

// What a pod's targets are and what DescribeTargetHealth says about them: pure functions shared by the sidecar's
// `aws` source (one pod, one call per target group with its own target) and a controller (one call per target
// group for every pod in it).

/** A pod's target in one target group. */
export interface OwnTarget {
  targetGroupArn: string;
  id: string;
  port: number;
  /** Where the target group came from: `config` or `TargetGroupBinding <name>`. */
  from: string;
}

/** The fields of the AWS Load Balancer Controller's TargetGroupBinding (elbv2.k8s.aws/v1beta1) that draingate reads. */
export interface TargetGroupBinding {
  metadata?: { name?: string; namespace?: string };
  spec?: { targetGroupARN?: string; targetType?: string; serviceRef?: { name?: string; port?: number | string } };
}

/** One TargetGroupBinding that applies to a pod: its target group, target type and the pod's port in it. */
export interface BindingMatch {
  targetGroupArn: string;
  targetType: TargetType;
  port: number;
  from: string;
}

/**
 * Whether `tgb` (whose Service is `svc`) targets `pod`: the Service's selector matches the pod's labels and its port
 * is the binding's `serviceRef.port`. The target port: `targetPort` if set; else the Service port's NodePort
 * (instance) or targetPort, a named one looked up in the pod's containers. `null` when the binding does not apply;
 * throws a {@link Failure} when it does but the port cannot be told.
 */
export function matchBinding(
  tgb: TargetGroupBinding,
  svc: V1Service,
  pod: V1Pod,
  defaults: { targetType: TargetType; targetPort: number | null },
): BindingMatch | null {
  const arn = tgb.spec?.targetGroupARN;
  if (!arn) return null;
  const labels = pod.metadata?.labels ?? {};
  const selector = svc.spec?.selector ?? {};
  if (Object.keys(selector).length === 0 || !Object.entries(selector).every(([k, v]) => labels[k] === v)) return null;
  const t = tgb.spec?.targetType;
  const type: TargetType = t === 'instance' ? 'instance' : t === 'ip' ? 'ip' : defaults.targetType;
  const ref = tgb.spec?.serviceRef?.port;
  const sp = svc.spec?.ports?.find((p) => (typeof ref === 'number' ? p.port === ref : p.name === ref || String(p.port) === ref));
  if (!sp) return null;
  let port: number | null = defaults.targetPort;
  if (port === null) {
    if (type === 'instance') port = sp.nodePort ?? null;
    else {
      const tp = sp.targetPort ?? sp.port;
      if (typeof tp === 'number') port = tp;
      else if (/^\d+$/.test(tp)) port = Number(tp);
      else {
        for (const ctr of pod.spec?.containers ?? []) {
          const p = ctr.ports?.find((x) => x.name === tp);
          if (p) port = p.containerPort;
        }
      }
    }
  }
  const name = tgb.metadata?.name;
  if (port === null) {
    throw new Failure(
      'other',
      `cannot tell the target port of TargetGroupBinding ${name} (Service ${svc.metadata?.name}): pass --target-port`,
    );
  }
  return { targetGroupArn: arn, targetType: type, port, from: `TargetGroupBinding ${name}` };
}

/** What DescribeTargetHealth returns per target (the SDK's shape, every field optional). */
export interface TargetHealthDescription {
  Target?: { Id?: string | undefined; Port?: number | undefined } | undefined;
  TargetHealth?: { State?: string | undefined; Reason?: string | undefined; Description?: string | undefined } | undefined;
}

/**
 * The report of target `t` from a DescribeTargetHealth answer (for its own target, or for the whole group). Absent
 * from the answer or `Target.NotRegistered`: `notRegistered`. `unhealthy.draining` is an unhealthy target that is
 * still registered (NLB `target_health_state.unhealthy.draining_interval_seconds`), not a deregistered one (ELBv2
 * API reference, TargetGroupAttribute): it never counts as gone.
 */
export function targetReport(t: OwnTarget, descs: readonly TargetHealthDescription[]): TargetReport {
  const d = descs.find((x) => x.Target?.Id === t.id && (x.Target?.Port === undefined || x.Target.Port === t.port));
  const raw = d?.TargetHealth?.State;
  const reason = d?.TargetHealth?.Reason ?? null;
  let state: TargetReport['state'];
  if (!d || reason === 'Target.NotRegistered') state = 'notRegistered';
  else if (raw === 'unhealthy.draining') state = 'unhealthy';
  else if (raw === 'initial' || raw === 'healthy' || raw === 'unhealthy' || raw === 'unused' || raw === 'draining' || raw === 'unavailable')
    state = raw;
  else state = 'unhealthy';
  return {
    targetGroupArn: t.targetGroupArn,
    id: t.id,
    port: t.port,
    state,
    reason,
    description: d?.TargetHealth?.Description ?? (raw === 'unhealthy.draining' ? 'unhealthy.draining' : null),
  };
}

const GONE = new Set<TargetReport['state']>(['draining', 'unused', 'notRegistered']);

/** One pod's observation from the reports of its targets (one per target group). */
export function observationOf(reports: TargetReport[], lbType: LbType | null): Observation {
  const healthyCount = reports.filter((r) => r.state === 'healthy').length;
  const notHealthy = reports.find((r) => r.state !== 'healthy');
  return {
    targets: reports,
    registered: reports.some((r) => r.state !== 'notRegistered'),
    healthy: reports.length > 0 && healthyCount === reports.length,
    draining: reports.some((r) => r.state === 'draining'),
    gone: reports.every((r) => GONE.has(r.state)),
    lbType,
    detail:
      `healthy in ${healthyCount}/${reports.length} target groups` +
      (notHealthy
        ? `; ${notHealthy.id}:${notHealthy.port} is ${notHealthy.state}${notHealthy.reason ? ` (${notHealthy.reason})` : ''}`
        : ''),
  };
}

/**
 * The load balancer type of target groups from their protocols (DescribeTargetGroups): HTTP/HTTPS belong to an ALB,
 * TCP/UDP/TLS to an NLB; with several types, the one with the longer propagation bound. A string: why it cannot be
 * told.
 */
export function lbTypeOfGroups(protocols: readonly (string | undefined)[], arns: readonly string[]): LbType | string {
  const types = protocols.map((p) => lbTypeOfProtocol(p));
  if (types.length === 0 || types.some((t) => t === null)) {
    return `DescribeTargetGroups did not name an ALB or NLB protocol for ${arns.join(', ')}`;
  }
  return (types as LbType[]).reduce((a, b) => (LB_TYPES[b].propagationBoundMs > LB_TYPES[a].propagationBoundMs ? b : a));
}
