import type { Logger, SidecarStatusBody } from '@draingate/sidecar';
import {
  ConditionSync,
  ConditionWriter,
  type DesiredCondition,
  type EngineMetrics,
  ErrorReport,
  type KubeClient,
  PodEngine,
  type PodFeed,
  type PodFeedHooks,
  type SidecarConfig,
} from '@draingate/sidecar/internal';
import type { V1Pod } from '@kubernetes/client-node';
import type { ControllerConfig } from './config.js';
import type { PodView, TargetHealthPoller } from './health.js';
import { Informer } from './informer.js';
import { DEREGISTRATION_CONDITION, readRecord, recordCondition } from './record.js';
import type { TargetMap } from './target-map.js';

/** Where the answer for one pod comes from, and how old it is (the `controller` field of the status body). */
export interface Freshness {
  /** The replica that answered. */
  servedBy: string;
  role: 'leader' | 'follower';
  /** The leader this replica sees, or null. */
  leader: string | null;
  /** When this replica last received the pod from the API server (RFC 3339). */
  podSeenAt: string;
  /** When the target health in this answer was read from ELBv2 (leader only; null: not read by this replica). */
  targetHealthAt: string | null;
  /** Milliseconds since the newer of both. */
  ageMs: number;
}

export type ControllerStatusBody = SidecarStatusBody & { controller: Freshness };

/** A pod as one informer passes it on: the engine's {@link PodFeed}. */
class InformedPod implements PodFeed {
  pod: V1Pod | null = null;
  lastFailure = null;
  deleting = false;
  gone: string | null = null;
  seenAt = 0;
  #hooks: PodFeedHooks;
  constructor(hooks: PodFeedHooks) {
    this.#hooks = hooks;
  }
  start(): void {}
  stop(): void {}
  read(): Promise<V1Pod | null> {
    return Promise.resolve(this.pod);
  }
  deliver(pod: V1Pod): void {
    const first = this.pod === null;
    const deletion = !this.deleting && Boolean(pod.metadata?.deletionTimestamp);
    if (deletion) this.deleting = true;
    this.pod = pod;
    this.seenAt = Date.now();
    this.#hooks.onPod(pod, { first, deletion });
  }
}

interface Entry {
  uid: string;
  engine: PodEngine;
  feed: InformedPod;
  view: PodView;
  /** The deregistration record's writer, made when the leader first has one to write. */
  record: ConditionSync | null;
  targetsKey: string;
}

export interface PodRegistryOptions {
  kube: KubeClient;
  config: ControllerConfig;
  poller: TargetHealthPoller;
  targets: TargetMap;
  log: Logger;
  metrics: EngineMetrics;
  leading: () => boolean;
  leader: () => string | null;
  /** Waits for an API-server write slot before each pod condition write (gates and records opening first). */
  pace?: (wish: () => DesiredCondition) => Promise<void>;
}

/**
 * Every pod that declares the gate, each with its own sidecar engine (PodEngine: the same phases and rules as the
 * sidecar), fed by **one** pod informer and by the per-target-group polls. Every replica holds the engines; only
 * the leader's call AWS and write (the engines' `active`). Each replica answers `/v1/pods/...` from its own engine:
 * the leader from what it read, a follower from what the leader wrote on the pod (gate condition, deregistration
 * record).
 */
export class PodRegistry {
  readonly #o: PodRegistryOptions;
  readonly #entries = new Map<string, Entry>();
  readonly informer: Informer<V1Pod>;

  constructor(o: PodRegistryOptions) {
    this.#o = o;
    const c = o.config;
    const gate = c.conditionType;
    this.informer = new Informer<V1Pod>(o.kube, {
      path: c.namespace ? `/api/v1/namespaces/${encodeURIComponent(c.namespace)}/pods` : '/api/v1/pods',
      what: 'pods',
      labelSelector: c.podSelector,
      filter: (p) => (p.spec?.readinessGates ?? []).some((g) => g.conditionType === gate),
      onUpsert: (p) => this.#upsert(p),
      onDelete: (p) => this.#remove(`${p.metadata?.namespace}/${p.metadata?.name}`),
      onFailure: (message) => o.log.warn(`pod informer: ${message}`),
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Engines by phase, for metrics. */
  phases(): Record<string, number> {
    const n: Record<string, number> = { starting: 0, ready: 0, draining: 0 };
    for (const e of this.#entries.values()) {
      const p = e.engine.status().phase;
      n[p] = (n[p] ?? 0) + 1;
    }
    return n;
  }

  start(): void {
    this.informer.start();
  }

  /** This replica became the leader: write what the engines wish, poll what they want. */
  resume(): void {
    for (const e of this.#entries.values()) {
      e.engine.resume();
      e.record?.reconcile();
    }
  }

  /** Bindings or Services of a namespace changed: its pods' targets are looked up again. */
  retarget(namespace: string): void {
    for (const e of this.#entries.values()) if (e.feed.pod?.metadata?.namespace === namespace) this.#target(e);
  }

  status(namespace: string, name: string): ControllerStatusBody | null {
    const e = this.#entries.get(`${namespace}/${name}`);
    if (!e) return null;
    const leading = this.#o.leading();
    const readAt = leading ? e.view.readAt : null;
    const newest = Math.max(e.feed.seenAt, readAt ?? 0);
    return {
      ...e.engine.status(),
      controller: {
        servedBy: this.#o.config.identity,
        role: leading ? 'leader' : 'follower',
        leader: this.#o.leader(),
        podSeenAt: new Date(e.feed.seenAt).toISOString(),
        targetHealthAt: readAt === null ? null : new Date(readAt).toISOString(),
        ageMs: Date.now() - newest,
      },
    };
  }

  close(): void {
    this.informer.stop();
    for (const key of [...this.#entries.keys()]) this.#remove(key);
  }

  #upsert(pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const uid = pod.metadata?.uid ?? '';
    let e = this.#entries.get(key);
    if (e && e.uid !== uid) {
      this.#remove(key); // the same name, another pod
      e = undefined;
    }
    if (!e) e = this.#create(pod);
    e.feed.deliver(pod);
    e.record?.observe(pod);
    const record = readRecord(pod);
    if (record) e.engine.adoptDeregistration(record);
    this.#target(e);
  }

  #create(pod: V1Pod): Entry {
    const o = this.#o;
    const c = o.config;
    const ref = { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid: pod.metadata?.uid ?? '' };
    const config: SidecarConfig = {
      source: 'aws',
      conditionType: c.conditionType,
      listenHost: '',
      listenPort: 0,
      kubeconfig: c.kubeconfig,
      pod: { ...ref, ip: pod.status?.podIP ?? null, nodeName: pod.spec?.nodeName ?? null },
      pollIntervalMs: c.pollIntervalMs,
      lbType: c.lbType,
      propagationBoundMs: c.propagationBoundMs,
      fallbackDelayMs: 30_000,
      // No /v1/prestop here: the deadline shown while draining is the pod's deletion deadline itself.
      appDrainBudgetMs: 0,
      failOpenAfterMs: c.failOpenAfterMs,
      aws: { region: c.aws.region, endpoint: c.aws.endpoint, targetGroupArns: [], targetType: 'ip', targetPort: null, instanceId: null },
      app: { statusUrl: null, healthyThreshold: 2 },
    };
    const log = podLogger(o.log, `${ref.namespace}/${ref.name}`);
    let feed: InformedPod | null = null;
    let view: PodView | null = null;
    const entry: Partial<Entry> & { uid: string; record: ConditionSync | null; targetsKey: string } = {
      uid: ref.uid,
      record: null,
      targetsKey: '',
    };
    const created = Date.parse(String(pod.metadata?.creationTimestamp ?? ''));
    const engine = new PodEngine({
      config,
      kube: o.kube,
      log,
      metrics: o.metrics,
      feed: (hooks) => {
        feed = new InformedPod(hooks);
        return feed;
      },
      poller: (hooks) => {
        view = o.poller.view(hooks);
        return view;
      },
      ...(Number.isNaN(created) ? {} : { startedAt: created }),
      events: { component: 'draingate-controller', reportingComponent: 'draingate.io/controller', instance: c.identity, active: o.leading },
      active: o.leading,
      guardFalseWrites: true,
      ...(o.pace ? { paceWrites: o.pace } : {}),
      onDeregistrationStarted: (r) => {
        const current = entry as Entry;
        if (!current.record) {
          const writer = new ConditionWriter(o.kube, ref, DEREGISTRATION_CONDITION);
          current.record = new ConditionSync(writer, o.metrics, log, new ErrorReport(log), o.leading, o.pace ?? null);
          if (current.feed.pod) current.record.observe(current.feed.pod);
        }
        current.record.want(recordCondition(r));
      },
    });
    Object.assign(entry, { engine, feed, view });
    const e = entry as Entry;
    this.#entries.set(`${ref.namespace}/${ref.name}`, e);
    engine.start();
    return e;
  }

  #target(e: Entry): void {
    const pod = e.feed.pod;
    if (!pod) return;
    const r = this.#o.targets.resolve(pod);
    const key =
      'targets' in r ? r.targets.map((t) => `${t.targetGroupArn}|${t.id}:${t.port}`).join(',') : 'problem' in r ? `!${r.problem}` : '';
    if (key === e.targetsKey) return;
    e.targetsKey = key;
    if ('targets' in r) e.view.setTargets(r.targets, null);
    else e.view.setTargets([], 'problem' in r ? r.problem : null);
  }

  #remove(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    e.engine.close();
    e.record?.close();
    e.view.close();
  }
}

/** The controller's logger with the pod's `namespace/name` on every line. */
function podLogger(log: Logger, pod: string): Logger {
  const wrap =
    (fn: Logger['info']): Logger['info'] =>
    (a: object | string, b?: string): void =>
      typeof a === 'string' ? fn({ pod }, a) : fn({ pod, ...a }, b);
  return { debug: wrap(log.debug), info: wrap(log.info), warn: wrap(log.warn), error: wrap(log.error) };
}
