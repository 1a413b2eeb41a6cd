import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LbType } from '@draingate/core';
import { LB_TYPES } from '@draingate/core/internal';
import type { Logger } from '@draingate/sidecar';
import {
  awsFailure,
  Backoff,
  Failure,
  jitter,
  lbTypeOfGroups,
  type Observation,
  type OwnTarget,
  observationOf,
  type Poller,
  type PollerHooks,
  type SourceTraits,
  type TargetHealthDescription,
  targetReport,
} from '@draingate/sidecar/internal';
import type { TokenBucket } from './token-bucket.js';

export const IAM_ACTION = 'elasticloadbalancing:DescribeTargetHealth';
export const IAM_ACTION_TARGET_GROUPS = 'elasticloadbalancing:DescribeTargetGroups';

export interface HealthPollerOptions {
  client: ElasticLoadBalancingV2Client;
  /** Every ELBv2 call takes a token first. */
  bucket: TokenBucket;
  intervalMs: number;
  /** `--lb-type`, or null: from each target group's protocol (one DescribeTargetGroups per group). */
  lbType: LbType | null;
  /** Only the leader calls AWS. */
  leading: () => boolean;
  log: Logger;
  /** Each call: `DescribeTargetHealth` / `DescribeTargetGroups`, and `ok` or a failure kind. */
  onCall(action: string, outcome: string): void;
}

/** A request for a group that was idle waits up to this long, so that pods asking at nearly the same time share a call. */
const COALESCE_MS = 500;

/** One target group: its last answer, its schedule and its failures. */
export class Group {
  readonly members: Set<PodView> = new Set();
  descs: TargetHealthDescription[] | null = null;
  /** When `descs` was read (epoch ms). */
  at = 0;
  lastPollAt = 0;
  timer: NodeJS.Timeout | null = null;
  inFlight = false;
  failures = 0;
  forbidden: string | null = null;
  notBefore = 0;
  readonly backoff: Backoff = new Backoff(1000, 60_000);
  lbType: LbType | null = null;
  lbTypeResolved = false;
  lbTypeProblem: string | null = null;
  calls = 0;
  constructor(readonly arn: string) {}
}

/**
 * DescribeTargetHealth **once per target group per poll**, for every pod in it (the answer lists every registered
 * target; a pod's target absent from it is not registered), as the AWS Load Balancer Controller does. A group is
 * polled only while at least one of its pods wants it (its engine is starting, or draining without evidence yet),
 * every `intervalMs` ±20 %; a pod that starts wanting it when it was idle waits at most {@link COALESCE_MS}. Every
 * call takes a token from the bucket first; a failure backs the group off (1 s × 2ⁿ, ≤ 60 s, at least the interval
 * and Retry-After), and a ThrottlingException pauses every call of this process (the account's bucket is shared).
 */
export class TargetHealthPoller {
  readonly #groups = new Map<string, Group>();
  readonly #o: HealthPollerOptions;
  #throttleStreak = 0;
  #closed = false;

  constructor(options: HealthPollerOptions) {
    this.#o = options;
  }

  /** A pod's view, given to its engine as its {@link Poller}. */
  view(hooks: PollerHooks): PodView {
    return new PodView(this, hooks);
  }

  /** Target groups, for metrics: polled at least once, and how many have a pod that wants them now. */
  groups(): { arn: string; members: number; calls: number; wanted: boolean; at: number }[] {
    return [...this.#groups.values()].map((g) => ({
      arn: g.arn,
      members: g.members.size,
      calls: g.calls,
      wanted: [...g.members].some((m) => m.wants()),
      at: g.at,
    }));
  }

  /** After this replica became the leader: every pod that wants a look asks for one. */
  wake(): void {
    for (const g of this.#groups.values()) for (const m of g.members) m.request();
  }

  close(): void {
    this.#closed = true;
    for (const g of this.#groups.values()) if (g.timer) clearTimeout(g.timer);
  }

  group(arn: string): Group | undefined {
    return this.#groups.get(arn);
  }

  join(view: PodView, arn: string): Group {
    let g = this.#groups.get(arn);
    if (!g) {
      g = new Group(arn);
      this.#groups.set(arn, g);
    }
    g.members.add(view);
    return g;
  }

  leave(view: PodView, arn: string): void {
    const g = this.#groups.get(arn);
    if (!g) return;
    g.members.delete(view);
    if (g.members.size === 0) {
      if (g.timer) clearTimeout(g.timer);
      this.#groups.delete(arn);
    }
  }

  get leading(): boolean {
    return !this.#closed && this.#o.leading();
  }

  get intervalMs(): number {
    return this.#o.intervalMs;
  }

  lbTypeOf(groups: readonly Group[]): LbType | null {
    if (this.#o.lbType) return this.#o.lbType;
    const types = groups.map((g) => g.lbType);
    if (types.some((t) => t === null)) return null;
    return (types as LbType[]).reduce((a, b) => (LB_TYPES[b].propagationBoundMs > LB_TYPES[a].propagationBoundMs ? b : a));
  }

  /** A pod of `g` wants a look: schedule a poll unless one is due or running. */
  want(g: Group): void {
    if (!this.leading || g.inFlight || g.timer) return;
    const now = Date.now();
    const next = Math.max(g.lastPollAt + jitter(this.#o.intervalMs), now + Math.random() * COALESCE_MS, g.notBefore);
    g.timer = setTimeout(() => {
      g.timer = null;
      void this.#poll(g);
    }, next - now);
  }

  async #poll(g: Group): Promise<void> {
    if (!this.leading || g.inFlight || ![...g.members].some((m) => m.wants())) return;
    g.inFlight = true;
    try {
      await this.#o.bucket.take();
      if (!this.leading) return;
      if (!this.#o.lbType && !g.lbTypeResolved) await this.#resolveLbType(g);
      g.calls++;
      const out = await this.#o.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: g.arn }), {
        abortSignal: AbortSignal.timeout(10_000),
      });
      this.#o.onCall('DescribeTargetHealth', 'ok');
      g.descs = out.TargetHealthDescriptions ?? [];
      g.at = Date.now();
      g.failures = 0;
      g.forbidden = null;
      g.notBefore = 0;
      g.backoff.reset();
      this.#throttleStreak = 0;
      for (const m of [...g.members]) if (m.wants()) m.deliver();
    } catch (e) {
      const f = awsFailure(e, IAM_ACTION);
      this.#o.onCall('DescribeTargetHealth', f.kind);
      g.failures++;
      g.forbidden = f.kind === 'forbidden' ? f.message : null;
      const wait = g.backoff.next(f.retryAfterMs);
      g.notBefore = Date.now() + Math.max(wait, this.#o.intervalMs);
      if (f.kind === 'throttled') {
        // The account's bucket is empty for every caller: no call of ours before it refilled a little.
        this.#throttleStreak++;
        this.#o.bucket.pause(Date.now() + Math.max(f.retryAfterMs ?? 0, Math.min(30_000, 1000 * 2 ** (this.#throttleStreak - 1))));
      }
      if (g.failures === 1 || f.kind === 'forbidden') this.#o.log.warn({ kind: f.kind, targetGroup: g.arn }, f.message);
      for (const m of [...g.members]) if (m.wants()) m.fail(f);
    } finally {
      g.inFlight = false;
      g.lastPollAt = Date.now();
    }
    if ([...g.members].some((m) => m.wants())) this.want(g);
  }

  /** Once per group: its protocol tells ALB from NLB. A failure leaves it unknown (the longest bound then applies). */
  async #resolveLbType(g: Group): Promise<void> {
    g.lbTypeResolved = true;
    try {
      g.calls++;
      const out = await this.#o.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [g.arn] }), {
        abortSignal: AbortSignal.timeout(10_000),
      });
      this.#o.onCall('DescribeTargetGroups', 'ok');
      const type = lbTypeOfGroups(
        (out.TargetGroups ?? []).map((t) => t.Protocol),
        [g.arn],
      );
      if (type === 'alb' || type === 'nlb') g.lbType = type;
      else g.lbTypeProblem = type;
    } catch (e) {
      const f = awsFailure(e, IAM_ACTION_TARGET_GROUPS);
      this.#o.onCall('DescribeTargetGroups', f.kind);
      g.lbTypeProblem = f.message;
    }
    await this.#o.bucket.take();
  }
}

/**
 * One pod's window onto the per-group polls: its engine's {@link Poller}. Its targets come from the controller's
 * TargetGroupBindings (set by {@link setTargets}); each answer of one of its groups becomes an observation of all of
 * its targets (each group's latest answer), delivered while the engine wants one.
 */
export class PodView implements Poller {
  last: Observation | null = null;
  polledOnce = false;
  targets: OwnTarget[] = [];
  /** Why the pod has no targets, or null. */
  problem: string | null = null;
  #groups: Group[] = [];
  #problemToldAt = 0;
  #closed = false;
  readonly source: SourceTraits;

  constructor(
    private readonly poller: TargetHealthPoller,
    private readonly hooks: PollerHooks,
  ) {
    const groups = (): Group[] => this.#groups;
    this.source = {
      kind: 'aws',
      tellsDeregistration: true,
      readsLbApi: true,
      get lbTypeProblem(): string | null {
        return groups().find((g) => g.lbTypeProblem)?.lbTypeProblem ?? null;
      },
    };
  }

  get failures(): number {
    return Math.max(0, ...this.#groups.map((g) => g.failures));
  }

  get forbidden(): string | null {
    return this.#groups.find((g) => g.forbidden)?.forbidden ?? null;
  }

  /** When the oldest answer this pod's last observation was made of was read (epoch ms), or null. */
  get readAt(): number | null {
    return this.#groups.length > 0 && this.#groups.every((g) => g.at > 0) ? Math.min(...this.#groups.map((g) => g.at)) : null;
  }

  wants(): boolean {
    return !this.#closed && this.hooks.wanted();
  }

  /** The pod's targets changed (or why it has none). */
  setTargets(targets: OwnTarget[], problem: string | null): void {
    const before = this.#groups.map((g) => g.arn).join(',');
    this.targets = targets;
    this.problem = problem;
    const arns = [...new Set(targets.map((t) => t.targetGroupArn))];
    if (arns.join(',') !== before) {
      for (const g of this.#groups) if (!arns.includes(g.arn)) this.poller.leave(this, g.arn);
      this.#groups = arns.map((a) => this.poller.join(this, a));
    }
    this.request();
  }

  request(): void {
    if (this.#closed || !this.poller.leading || !this.hooks.wanted()) return;
    if (this.problem !== null) {
      // Said once per poll interval, as a sidecar would on each failed poll.
      if (Date.now() - this.#problemToldAt < this.poller.intervalMs) return;
      this.#problemToldAt = Date.now();
      this.hooks.onFailure(new Failure('other', this.problem));
      return;
    }
    for (const g of this.#groups) this.poller.want(g);
  }

  /** One of its groups answered: an observation if every group of the pod has answered at least once. */
  deliver(): void {
    if (this.#closed || this.#groups.length === 0 || this.#groups.some((g) => g.descs === null)) return;
    const reports = this.targets.map((t) => targetReport(t, this.poller.group(t.targetGroupArn)?.descs ?? []));
    this.last = observationOf(reports, this.poller.lbTypeOf(this.#groups));
    this.polledOnce = true;
    this.hooks.onObservation(this.last);
  }

  fail(f: Failure): void {
    if (this.#closed) return;
    this.polledOnce = true;
    this.hooks.onFailure(f);
  }

  close(): void {
    this.#closed = true;
    for (const g of this.#groups) this.poller.leave(this, g.arn);
    this.#groups = [];
  }
}
