import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type DescribeTargetHealthCommandOutput,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LbType } from '@draingate/core';
import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import type { SidecarConfig, TargetType } from './config.js';
import { awsFailure, Failure, kubeFailure } from './failures.js';
import type { KubeClient } from './kubeclient.js';
import type { Observation, Source, SourceContext, TargetReport } from './sources.js';
import { lbTypeOfGroups, matchBinding, type OwnTarget, observationOf, type TargetGroupBinding, targetReport } from './targets.js';

export type { OwnTarget } from './targets.js';

export const IAM_ACTION = 'elasticloadbalancing:DescribeTargetHealth';
/** For `--lb-type auto` only: the target groups' protocol tells ALB from NLB. */
export const IAM_ACTION_TARGET_GROUPS = 'elasticloadbalancing:DescribeTargetGroups';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The ELBv2 client: one per process, shared by the pods' sources. The SDK does not retry (`maxAttempts: 1`): the
 * sidecar's own loop backs off, so every call is counted.
 */
export function createElbv2Client(config: SidecarConfig, credentials?: AwsCredentials): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({
    ...(config.aws.region ? { region: config.aws.region } : {}),
    maxAttempts: 1,
    ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
}

/**
 * `DescribeTargetHealth` for this pod's own target in each of its target groups (ip mode: podIP:port; instance
 * mode: instance id:NodePort). Target groups come from config, or from the TargetGroupBindings in the pod's
 * namespace whose Service selects the pod.
 */
export class AwsSource implements Source {
  readonly kind = 'aws' as const;
  readonly tellsDeregistration = true;
  readonly pollsRemote = true;
  readonly readsLbApi = true;
  /** Resolved once (TargetGroupBindings rarely change during a pod's life). */
  targets: OwnTarget[] | null = null;
  /** `--lb-type`, or resolved once from the target groups' protocol (`null`: unknown). */
  lbType: LbType | null;
  #lbTypeResolved: boolean;
  /** Why the type could not be told, once (for the log), or `null`. */
  lbTypeProblem: string | null = null;
  calls = 0;

  constructor(
    private readonly config: SidecarConfig,
    private readonly kube: KubeClient,
    /** The process's client (see {@link createElbv2Client}); not closed by this source. */
    readonly client: ElasticLoadBalancingV2Client,
    private readonly onCall: (outcome: string) => void = () => {},
  ) {
    this.lbType = config.lbType;
    this.#lbTypeResolved = config.lbType !== null;
  }

  async observe(ctx: SourceContext): Promise<Observation> {
    const targets = this.targets ?? (await this.resolveTargets(ctx.pod, ctx.podFailure));
    if (!this.#lbTypeResolved) await this.resolveLbType(targets);
    const reports: TargetReport[] = [];
    for (const t of targets) {
      this.calls++;
      let out: DescribeTargetHealthCommandOutput;
      try {
        out = await this.client.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: t.targetGroupArn, Targets: [{ Id: t.id, Port: t.port }] }),
          { abortSignal: AbortSignal.timeout(10_000) },
        );
        this.onCall('ok');
      } catch (e) {
        const f = awsFailure(e, IAM_ACTION);
        this.onCall(f.kind);
        throw f;
      }
      reports.push(targetReport(t, out.TargetHealthDescriptions ?? []));
    }
    return observationOf(reports, this.lbType);
  }

  /**
   * `--lb-type auto`: one DescribeTargetGroups call for the pod's target groups; HTTP/HTTPS target groups belong to
   * an ALB, TCP/UDP/TLS ones to an NLB. With several types, the one with the longer propagation bound. Tried once:
   * a failure (e.g. AccessDenied) leaves the type unknown, and the sidecar then assumes the longest bound.
   */
  async resolveLbType(targets: readonly OwnTarget[]): Promise<void> {
    this.#lbTypeResolved = true;
    const arns = [...new Set(targets.map((t) => t.targetGroupArn))];
    if (arns.length === 0) return;
    this.calls++;
    try {
      const out = await this.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: arns }), {
        abortSignal: AbortSignal.timeout(10_000),
      });
      this.onCall('ok');
      const type = lbTypeOfGroups(
        (out.TargetGroups ?? []).map((g) => g.Protocol),
        arns,
      );
      if (type === 'alb' || type === 'nlb') this.lbType = type;
      else this.lbTypeProblem = type;
    } catch (e) {
      const f = awsFailure(e, IAM_ACTION_TARGET_GROUPS);
      this.onCall(f.kind);
      this.lbTypeProblem = f.message;
    }
  }

  /** Finds this pod's targets; throws a {@link Failure} (forbidden names the RBAC verb) when it cannot. */
  async resolveTargets(pod: V1Pod | null, podFailure: Failure | null = null): Promise<OwnTarget[]> {
    const c = this.config;
    const ns = c.pod.namespace;
    let found: OwnTarget[];
    if (c.aws.targetGroupArns.length > 0) {
      const id = await this.targetId(c.aws.targetType);
      found = c.aws.targetGroupArns.map((arn) => ({ targetGroupArn: arn, id, port: c.aws.targetPort as number, from: 'config' }));
    } else {
      if (!pod) throw podFailure ?? new Failure('unreachable', 'the pod has not been read yet: cannot match TargetGroupBindings');
      let tgbs: TargetGroupBinding[];
      try {
        const list = await this.kube.request<{ items?: TargetGroupBinding[] }>(
          'GET',
          `/apis/elbv2.k8s.aws/v1beta1/namespaces/${encodeURIComponent(ns)}/targetgroupbindings`,
        );
        tgbs = list.items ?? [];
      } catch (e) {
        const f = kubeFailure(e, 'list targetgroupbindings.elbv2.k8s.aws', ns);
        if (f.kind === 'not-found') {
          throw new Failure(
            'other',
            'the TargetGroupBinding CRD (elbv2.k8s.aws/v1beta1) is not installed: pass --target-group-arn and --target-port',
          );
        }
        throw f;
      }
      found = [];
      for (const tgb of tgbs) {
        const svcName = tgb.spec?.serviceRef?.name;
        if (!tgb.spec?.targetGroupARN || !svcName) continue;
        let svc: V1Service;
        try {
          svc = await this.kube.request<V1Service>(
            'GET',
            `/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(svcName)}`,
          );
        } catch (e) {
          const f = kubeFailure(e, 'get services', ns);
          if (f.kind === 'not-found') continue;
          throw f;
        }
        const m = matchBinding(tgb, svc, pod, c.aws);
        if (m) found.push({ targetGroupArn: m.targetGroupArn, id: await this.targetId(m.targetType), port: m.port, from: m.from });
      }
      if (found.length === 0) {
        throw new Failure(
          'other',
          `no TargetGroupBinding in namespace ${ns} points at a Service that selects this pod; pass --target-group-arn or check the Service selector`,
        );
      }
    }
    this.targets = found;
    return found;
  }

  private async targetId(type: TargetType): Promise<string> {
    const c = this.config;
    if (type === 'ip') {
      if (!c.pod.ip) throw new Failure('other', 'ip mode needs POD_IP (downward API status.podIP)');
      return c.pod.ip;
    }
    if (c.aws.instanceId) return c.aws.instanceId;
    if (!c.pod.nodeName) throw new Failure('other', 'instance mode needs --instance-id or NODE_NAME');
    try {
      const node = await this.kube.request<V1Node>('GET', `/api/v1/nodes/${encodeURIComponent(c.pod.nodeName)}`);
      const id = /\/(i-[0-9a-f]+)$/.exec(node.spec?.providerID ?? '')?.[1];
      if (!id)
        throw new Failure('other', `node ${c.pod.nodeName} has no EC2 providerID (${node.spec?.providerID ?? 'none'}): pass --instance-id`);
      return id;
    } catch (e) {
      if (e instanceof Failure) throw e;
      throw kubeFailure(e, 'get nodes', '(cluster scope: needs a ClusterRole, or pass --instance-id)');
    }
  }
}
