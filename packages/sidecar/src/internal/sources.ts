import type { LbSourceReport, LbType, SidecarTarget, StatusReport } from '@draingate/core';
import { isLbSourceLive } from '@draingate/core/internal';
import type { V1Pod } from '@kubernetes/client-node';
import type { SidecarConfig, SourceKind } from './config.js';
import { Failure } from './failures.js';

/** One (target group, target) as `/v1/status` reports it: core's `SidecarTarget` with reason and description always set. */
export interface TargetReport extends SidecarTarget {
  reason: string | null;
  description: string | null;
}

/** What one look at the source said. */
export interface Observation {
  targets: TargetReport[];
  /** The load balancer knows this target (registered in a target group / has health-checked it). */
  registered: boolean;
  /** The gate may turn True. */
  healthy: boolean;
  /** At least one target is draining. */
  draining: boolean;
  /** Every target is draining, unused or absent: the LB stopped (or is stopping) routing new requests here. */
  gone: boolean;
  /** For the condition's message and the logs. */
  detail: string;
  /** The load balancer type of the target groups, where the source can tell (aws: from their protocol). */
  lbType?: LbType | null;
}

export interface SourceContext {
  /** The own pod as last read or watched (may be null while the API server is unreachable). */
  pod: V1Pod | null;
  /** Why the pod could not be read, if it could not. */
  podFailure: Failure | null;
  draining: boolean;
}

export interface Source {
  readonly kind: SourceKind;
  /** Whether this source can tell that the target was deregistered (albc cannot: its conditions never flip back). */
  readonly tellsDeregistration: boolean;
  /**
   * Whether `gone` is the load balancer's API saying deregistration started (aws), which core combines with its own
   * per-node evidence, rather than an inference from what the app itself saw (app): only then is it reported to core
   * as `deregistration.startedAt`.
   */
  readonly readsLbApi: boolean;
  /** Whether polling costs calls (aws) — polled only while starting and draining — or is free. */
  readonly pollsRemote: boolean;
  /** Throws a {@link Failure}. */
  observe(ctx: SourceContext): Promise<Observation>;
  close?(): void;
}

// ---------------------------------------------------------------------------------------------------------- albc

const ALBC_PREFIX = 'target-health.elbv2.k8s.aws/';

/**
 * Mirrors the AWS Load Balancer Controller's own readiness-gate conditions (`target-health.elbv2.k8s.aws/<tgb>`)
 * on the pod: True once all of them are True. Zero AWS calls; reads the watched pod, no extra API call.
 */
export class AlbcSource implements Source {
  readonly kind = 'albc' as const;
  readonly tellsDeregistration = false;
  readonly readsLbApi = false;
  readonly pollsRemote = false;

  async observe(ctx: SourceContext): Promise<Observation> {
    const pod = ctx.pod;
    if (!pod) throw ctx.podFailure ?? new Failure('unreachable', 'the pod has not been read from the API server yet');
    const gates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType).filter((t) => t.startsWith(ALBC_PREFIX));
    const conds = (pod.status?.conditions ?? []).filter((c) => c.type.startsWith(ALBC_PREFIX));
    const types = [...new Set([...gates, ...conds.map((c) => c.type)])].sort();
    const targets: TargetReport[] = types.map((t) => {
      const c = conds.find((x) => x.type === t);
      return {
        targetGroupArn: t.slice(ALBC_PREFIX.length),
        id: pod.status?.podIP ?? '',
        port: 0,
        state: c?.status === 'True' ? 'healthy' : c ? 'unhealthy' : 'notRegistered',
        reason: c?.reason ?? null,
        description: c?.message ?? null,
      };
    });
    const healthy = targets.length > 0 && targets.every((t) => t.state === 'healthy');
    const detail =
      targets.length === 0
        ? `no ${ALBC_PREFIX}* condition on the pod yet (is the namespace labelled elbv2.k8s.aws/pod-readiness-gate-inject=enabled?)`
        : `${targets.filter((t) => t.state === 'healthy').length}/${targets.length} AWS Load Balancer Controller target-health conditions True`;
    return { targets, registered: conds.length > 0, healthy, draining: false, gone: false, detail };
  }
}

// ----------------------------------------------------------------------------------------------------------- app

/**
 * What the app source reads of core's `GET /status` (core's own types), every field optional: the body comes over
 * the network and is checked as it is used.
 */
interface AppStatus {
  state?: StatusReport['state'];
  lbHealthChecks?: { pass?: number; fail?: number; sources?: Record<string, Partial<LbSourceReport>> };
  plan?: Partial<StatusReport['plan']>;
}

/**
 * Reads the load balancer's health checks that the app (draingate core) observed, from core's management
 * `/status` over localhost. True once every LB node still checking has seen `healthyThreshold` passing checks.
 * Works with any LB and in instance mode; no cloud API calls.
 */
export class AppSource implements Source {
  readonly kind = 'app' as const;
  readonly tellsDeregistration = true;
  readonly readsLbApi = false;
  readonly pollsRemote = false;

  constructor(
    private readonly url: string,
    private readonly healthyThreshold: number,
  ) {}

  async observe(_ctx: SourceContext): Promise<Observation> {
    let body: AppStatus;
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(2000), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Failure('unreachable', `the app's status endpoint ${this.url} answered ${res.status}`);
      body = (await res.json()) as AppStatus;
    } catch (e) {
      if (e instanceof Failure) throw e;
      throw new Failure('unreachable', `the app's status endpoint ${this.url} is unreachable: ${(e as Error).message}`);
    }
    const now = Date.now();
    const sources = Object.entries(body.lbHealthChecks?.sources ?? {});
    // Core's own rule: a source counts while it checks on schedule.
    const active = sources.filter(([, s]) => isLbSourceLive(s.lastAt ? Date.parse(s.lastAt) : Number.NaN, s.intervalMs ?? null, now));
    const unhealthyThreshold = body.plan?.lbUnhealthyThreshold ?? 2;
    const targets: TargetReport[] = sources.map(([addr, s]) => ({
      targetGroupArn: `lb-health-checks:${addr}`,
      id: addr,
      port: 0,
      state: (s.failSinceDraining ?? 0) >= unhealthyThreshold ? 'draining' : (s.pass ?? 0) >= this.healthyThreshold ? 'healthy' : 'initial',
      reason: null,
      description: `${s.pass ?? 0} passing, ${s.fail ?? 0} failing health checks seen by the app`,
    }));
    const healthy = active.length > 0 && active.every(([, s]) => (s.pass ?? 0) >= this.healthyThreshold);
    const appDraining = body.state === 'draining' || body.state === 'stopping' || body.state === 'stopped';
    const gone = appDraining && active.length > 0 && active.every(([, s]) => (s.failSinceDraining ?? 0) >= unhealthyThreshold);
    const detail =
      sources.length === 0
        ? 'the app has seen no load-balancer health check yet'
        : `${active.filter(([, s]) => (s.pass ?? 0) >= this.healthyThreshold).length}/${active.length} health-check sources saw ${this.healthyThreshold} passing checks`;
    return { targets, registered: sources.length > 0, healthy, draining: appDraining, gone, detail };
  }
}

export function describeSource(config: SidecarConfig): string {
  switch (config.source) {
    case 'aws':
      return `aws (${config.aws.targetType} mode, ${config.aws.targetGroupArns.length > 0 ? `${config.aws.targetGroupArns.length} target group(s) from config` : 'target groups from TargetGroupBindings'})`;
    case 'app':
      return `app (${config.app.statusUrl}, healthy after ${config.app.healthyThreshold} checks)`;
    case 'albc':
      return 'albc (mirrors target-health.elbv2.k8s.aws/* conditions)';
  }
}
