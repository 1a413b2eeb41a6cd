import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { formatDuration, type SidecarStatus } from '@draingate/core';
import type { V1Pod } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { AwsCredentials } from './aws.js';
import { describeConfig, type SidecarConfig, type SourceKind } from './config.js';
import { Backoff, type Failure, jitter } from './failures.js';
import { type DesiredGate, EventRecorder, GateWriter, PodWatcher } from './kube.js';
import { authFromKubeConfig, inClusterAuth, type KubeAuth, KubeClient, type KubeConfigLike } from './kubeclient.js';
import { createJsonLogger, type Logger } from './logger.js';
import { createMetrics, type SidecarMetrics } from './metrics.js';
import { AlbcSource, AppSource, describeSource, type Observation, type Source, type TargetReport } from './sources.js';

export type Phase = 'starting' | 'ready' | 'draining';
export type DrainTrigger = 'prestop' | 'deletion' | 'signal' | 'api';
/** What ended a `/v1/prestop` wait. */
export type PrestopEnd = 'deregistered' | 'fallback-delay' | 'deadline' | 'closed';

/**
 * The body of `GET /v1/status`: core's contract (`SidecarStatus`, docs/sidecar-contract.md) plus the sidecar's own
 * fields. It extends core's type, so a change to the contract breaks this build instead of drifting silently.
 */
export interface SidecarStatusBody extends SidecarStatus {
  /** Narrower than core's fields: the sources this sidecar has, and targets whose reason/description are always set. */
  source: SourceKind;
  targets: TargetReport[];
  /** Extensions (not read by core). */
  phase: Phase;
  detail: string | null;
  /** `false` when `/v1/prestop` would fall back to the fixed delay (albc source, 403/AccessDenied, repeated failures). */
  evidenceAvailable: boolean;
  draining: { startedAt: string; trigger: DrainTrigger; deadline: string } | null;
  /** Why gate writes stopped for good (pod gone or replaced), or null. */
  writesStopped: string | null;
}

export interface PrestopResult {
  ended: PrestopEnd;
  waitedMs: number;
  detail: string;
}

export interface StartSidecarOptions {
  config: SidecarConfig;
  /** Overrides `config.kubeconfig` / the in-cluster service account: a @kubernetes/client-node `KubeConfig`. */
  kubeConfig?: KubeConfigLike;
  /** In-cluster only: where the service-account token and `ca.crt` are. Default `/var/run/secrets/kubernetes.io/serviceaccount`. */
  serviceAccountDir?: string;
  /** In-cluster only: the environment with `KUBERNETES_SERVICE_HOST`/`_PORT`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Static AWS credentials; default: the SDK's provider chain (IRSA, EKS Pod Identity, env). */
  awsCredentials?: AwsCredentials;
  /** Registry for `/metrics`; default: a new one. */
  registry?: Registry;
}

export interface Sidecar {
  /** `http://<host>:<port>` of the localhost API. */
  readonly url: string;
  readonly config: SidecarConfig;
  readonly metrics: SidecarMetrics;
  /** Events recorded (also those the API server refused). */
  readonly events: readonly { reason: string; message: string; type: string }[];
  status(): SidecarStatusBody;
  /** Enters draining (idempotent): polls the source again until the target is gone. */
  startDraining(trigger: DrainTrigger): void;
  /** What `GET /v1/prestop` does: enters draining and resolves when the wait ends. */
  waitPrestop(): Promise<PrestopResult>;
  /** Resolves once no `/v1/prestop` wait is in progress. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const iso = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
};

/** Starts the sidecar: the localhost API first, then the pod watch and the source. */
export async function startSidecar(options: StartSidecarOptions): Promise<Sidecar> {
  // The AWS SDK is loaded only for --source=aws (it is most of the sidecar's memory).
  const aws = options.config.source === 'aws' ? await import('./aws.js') : null;
  let auth: KubeAuth;
  if (options.kubeConfig) auth = authFromKubeConfig(options.kubeConfig);
  else if (options.config.kubeconfig) {
    // Local runs only: @kubernetes/client-node reads the kubeconfig (exec plugins, contexts, ...).
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(options.config.kubeconfig);
    auth = authFromKubeConfig(kc);
  } else auth = inClusterAuth(options.env ?? process.env, options.serviceAccountDir);
  const engine = new Engine(options, new KubeClient(auth), aws?.AwsSource ?? null);
  await engine.listen();
  engine.start();
  return engine;
}

class Engine implements Sidecar {
  readonly config: SidecarConfig;
  readonly metrics: SidecarMetrics;
  url = '';
  private readonly log: Logger;
  private readonly kube: KubeClient;
  private readonly source: Source;
  private readonly writer: GateWriter;
  private readonly recorder: EventRecorder;
  private readonly watcher: PodWatcher;
  private readonly server: Server;

  private phase: Phase = 'starting';
  private obs: Observation | null = null;
  private sourceFailures = 0;
  private forbidden: string | null = null;
  private lastError: { message: string; at: string } | null = null;
  private lastLogged = '';
  private desired: DesiredGate = { status: 'False', reason: 'WaitingForTarget', message: 'the sidecar has not observed the target yet' };
  private podSeen = false;
  private deletionSeen = false;
  /** `before`: the phase to go back to when a /v1/prestop wait ends on a pod that is not being deleted. */
  private drain: { startedAt: number; trigger: DrainTrigger; before: 'starting' | 'ready' } | null = null;
  private signalled = false;
  private readonly startedAt = Date.now();
  private goneSince: number | null = null;
  private deregisteredAt: number | null = null;
  private readonly emittedOnce = new Set<string>();
  private readonly waits = new Set<Promise<PrestopResult>>();
  private readonly waiters = new Set<(end: PrestopEnd) => void>();
  private readonly sourceBackoff = new Backoff(1000, 60_000);
  private readonly gateBackoff = new Backoff(500, 30_000);
  private pollTimer: NodeJS.Timeout | null = null;
  private gateTimer: NodeJS.Timeout | null = null;
  private marginTimer: NodeJS.Timeout | null = null;
  private failOpenTimer: NodeJS.Timeout | null = null;
  private polling = false;
  /** After a failed poll: no call before this time (backoff, Retry-After), even if draining starts meanwhile. */
  private pollNotBefore = 0;
  private polledOnce = false;
  /** The gate is written only once there is something to say (an observation, a failure, fail-open). */
  private haveDesired = false;
  private syncing = false;
  private syncAgain = false;
  private closed = false;

  constructor(options: StartSidecarOptions, kube: KubeClient, AwsSourceClass: typeof import('./aws.js').AwsSource | null) {
    const c = options.config;
    this.config = c;
    this.log = options.logger ?? createJsonLogger();
    this.metrics = createMetrics(options.registry);
    this.kube = kube;
    const ref = { name: c.pod.name, namespace: c.pod.namespace, uid: c.pod.uid };
    this.writer = new GateWriter(this.kube, ref, c.conditionType);
    this.recorder = new EventRecorder(this.kube, ref, c.pod.nodeName, this.log);
    this.watcher = new PodWatcher(
      this.kube,
      ref,
      (pod) => this.onPod(pod),
      (f) => this.onKubeFailure(f),
    );
    const count = (outcome: string): void => this.metrics.sourceCalls.inc({ source: c.source, outcome });
    this.source =
      c.source === 'aws' && AwsSourceClass
        ? new AwsSourceClass(c, this.kube, options.awsCredentials, count)
        : c.source === 'app'
          ? new AppSource(c.app.statusUrl as string, c.app.healthyThreshold)
          : new AlbcSource();
    this.server = createServer((req, res) => this.handle(req, res));
  }

  get events(): readonly { reason: string; message: string; type: string }[] {
    return this.recorder.emitted;
  }

  async listen(): Promise<void> {
    this.server.listen(this.config.listenPort, this.config.listenHost);
    await once(this.server, 'listening');
    const a = this.server.address();
    const port = typeof a === 'object' && a ? a.port : this.config.listenPort;
    const host = this.config.listenHost.includes(':') ? `[${this.config.listenHost}]` : this.config.listenHost;
    this.url = `http://${host}:${port}`;
  }

  start(): void {
    this.log.info(
      { config: describeConfig(this.config), source: describeSource(this.config) },
      `draingate-sidecar listening on ${this.url}`,
    );
    this.watcher.start();
    if (this.config.failOpenAfterMs !== null) {
      const ms = this.config.failOpenAfterMs;
      this.log.warn(
        `fail-open is ON: the gate turns True after ${formatDuration(ms)} even without evidence that the load balancer routes here`,
      );
      this.failOpenTimer = setTimeout(() => this.failOpen(ms), ms);
      this.failOpenTimer.unref();
    }
    this.tick();
  }

  // ------------------------------------------------------------------------------------------------ source loop

  private shouldPoll(): boolean {
    if (this.closed) return false;
    if (this.phase === 'starting') return true;
    if (this.phase !== 'draining' || this.goneSince !== null || !this.source.tellsDeregistration) return false;
    // A stray /v1/prestop on a pod nobody deletes must not poll AWS forever: only while a call waits.
    return this.deletionSeen || this.waiters.size > 0 || this.drain?.trigger === 'signal';
  }

  private tick(): void {
    if (this.polling || !this.shouldPoll()) return;
    // Wait for the first read of the pod (TargetGroupBindings are matched against its labels), unless it failed.
    if (!this.podSeen && this.watcher.lastFailure === null) return;
    if (this.pollTimer && Date.now() < this.pollNotBefore) return;
    if (this.pollTimer) {
      clearTimeout(this.pollTimer);
      this.pollTimer = null;
    }
    this.polling = true;
    this.polledOnce = true;
    void this.poll();
  }

  private async poll(): Promise<void> {
    let next: number;
    try {
      const obs = await this.source.observe({
        pod: this.watcher.pod,
        podFailure: this.watcher.pod ? null : this.watcher.lastFailure,
        draining: this.drain !== null,
      });
      this.sourceFailures = 0;
      this.forbidden = null;
      this.sourceBackoff.reset();
      if (!this.closed) this.onObservation(obs);
      next = jitter(this.config.pollIntervalMs);
      this.pollNotBefore = 0;
    } catch (e) {
      const f = e as Failure;
      if (!this.closed) this.onSourceFailure(f);
      next = Math.max(this.config.pollIntervalMs, this.sourceBackoff.next(f.retryAfterMs ?? null));
      this.pollNotBefore = Date.now() + next;
    } finally {
      this.polling = false;
    }
    if (this.shouldPoll()) {
      this.pollTimer = setTimeout(() => {
        this.pollTimer = null;
        this.tick();
      }, next);
    }
  }

  private onObservation(o: Observation): void {
    this.obs = o;
    this.haveDesired = true;
    if (o.registered) this.emitOnce('TargetRegistered', `the load balancer knows this target: ${o.detail}`);
    if (this.phase === 'starting') {
      if (o.healthy) {
        this.phase = 'ready';
        this.clearFailOpen();
        this.desired = { status: 'True', reason: 'TargetHealthy', message: o.detail };
        this.emitOnce('TargetHealthy', `target healthy in the load balancer: ${o.detail}`);
        this.log.info(`target healthy: ${o.detail}; gate ${this.config.conditionType} → True`);
      } else {
        this.desired = { status: 'False', reason: o.registered ? 'TargetNotHealthy' : 'TargetNotRegistered', message: o.detail };
      }
      this.syncGate();
    } else if (this.phase === 'draining') {
      if (o.draining) this.emitOnce('TargetDraining', `the load balancer is draining this target: ${o.detail}`);
      if (o.gone && this.goneSince === null) {
        this.goneSince = Date.now();
        this.log.info(
          `every target is draining/unused/gone (${o.detail}); deregistered after the ${formatDuration(this.config.propagationMarginMs)} propagation margin`,
        );
        this.marginTimer = setTimeout(() => this.markDeregistered(), this.config.propagationMarginMs);
      }
    }
  }

  private markDeregistered(): void {
    if (this.deregisteredAt !== null || this.closed) return;
    this.deregisteredAt = Date.now();
    this.metrics.deregistered.set(1);
    const detail = this.obs?.detail ?? '';
    this.emitOnce(
      'Deregistered',
      `target deregistered from every target group and the ${formatDuration(this.config.propagationMarginMs)} propagation margin passed (${detail})`,
    );
    this.log.info('deregistered: the load balancer no longer sends new requests here');
    for (const w of this.waiters) w('deregistered');
  }

  private onSourceFailure(f: Failure): void {
    this.sourceFailures++;
    this.haveDesired = true;
    this.recordError(f);
    if (f.kind === 'forbidden') this.forbidden = f.message;
    if (this.phase === 'starting') {
      this.desired = {
        status: 'False',
        reason: f.kind === 'forbidden' ? 'PermissionDenied' : 'EvidenceUnavailable',
        message: f.message.slice(0, 1000),
      };
      this.syncGate();
    }
  }

  private onKubeFailure(f: Failure): void {
    this.recordError(f);
    if (!this.polledOnce) this.tick();
  }

  private recordError(f: Failure): void {
    this.lastError = { message: f.message, at: new Date().toISOString() };
    // One line per distinct problem, not one per retry.
    if (f.message !== this.lastLogged) {
      this.lastLogged = f.message;
      if (f.kind === 'forbidden') this.log.error(f.message);
      else this.log.warn({ kind: f.kind }, f.message);
    }
  }

  private emitOnce(reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
    if (this.emittedOnce.has(reason)) return;
    this.emittedOnce.add(reason);
    this.metrics.events.inc({ reason });
    void this.recorder.emit(reason, message, type);
  }

  private failOpen(ms: number): void {
    this.failOpenTimer = null;
    if (this.phase !== 'starting' || this.closed) return;
    this.phase = 'ready';
    const message = `no evidence that the load balancer routes here after ${formatDuration(ms)}; gate set True by --fail-open-after (${this.obs?.detail ?? this.lastError?.message ?? 'no observation'})`;
    this.log.warn(`FAIL-OPEN: ${message}`);
    this.desired = { status: 'True', reason: 'FailOpen', message };
    this.haveDesired = true;
    this.emitOnce('FailOpen', message, 'Warning');
    this.syncGate();
  }

  private clearFailOpen(): void {
    if (this.failOpenTimer) clearTimeout(this.failOpenTimer);
    this.failOpenTimer = null;
  }

  // ------------------------------------------------------------------------------------------------- pod + gate

  private onPod(pod: V1Pod): void {
    this.writer.observe(pod);
    if (!this.podSeen) this.checkBudget(pod);
    this.podSeen = true;
    const cur = this.writer.current;
    // A restarted sidecar finds the gate already True: never back to False, no polling.
    if (cur?.status === 'True' && this.phase === 'starting') {
      this.phase = 'ready';
      this.clearFailOpen();
      this.desired = { status: 'True', reason: cur.reason ?? 'TargetHealthy', message: cur.message ?? '' };
      this.haveDesired = true;
    }
    this.metrics.gateStatus.set(cur?.status === 'True' ? 1 : 0);
    if (pod.metadata?.deletionTimestamp && !this.deletionSeen) {
      this.deletionSeen = true;
      this.startDraining('deletion');
      this.tick();
    }
    // The first poll waits for this first read; albc reads the pod itself, so every update is worth a look.
    if (this.phase === 'starting' && (this.source.kind === 'albc' || !this.polledOnce)) this.tick();
    this.syncGate();
  }

  /** Once, on the first read of the pod: a drain budget that eats the whole grace period makes /v1/prestop useless. */
  private checkBudget(pod: V1Pod): void {
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (grace * 1000 > this.config.appDrainBudgetMs) return;
    this.log.warn(
      `--app-drain-budget (${formatDuration(this.config.appDrainBudgetMs)}) is not below the pod's terminationGracePeriodSeconds (${formatDuration(grace * 1000)}): /v1/prestop will answer at once, without waiting for the load balancer; raise terminationGracePeriodSeconds or lower --app-drain-budget`,
    );
  }

  private syncGate(): void {
    if (this.closed || !this.podSeen || !this.haveDesired) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    // A retry after a failed write is scheduled: it writes whatever is desired by then. Writing now would cancel
    // the backoff (and Retry-After) on every poll or pod event.
    if (this.gateTimer) return;
    this.syncing = true;
    void this.writeGate();
  }

  private async writeGate(): Promise<void> {
    try {
      for (let i = 0; i < 10; i++) {
        this.syncAgain = false;
        const d = this.desired;
        const r = await this.writer.write(d);
        this.metrics.gateWrites.inc({ outcome: r });
        if (r === 'stopped' && this.writer.stopped !== null) {
          this.recordError({ kind: 'not-found', message: this.writer.stopped, retryAfterMs: null } as Failure);
        }
        if (r === 'written') this.log.info(`gate ${this.config.conditionType}=${d.status} (${d.reason}: ${d.message})`);
        this.gateBackoff.reset();
        if (!this.syncAgain && this.desired === d) break;
      }
      this.metrics.gateStatus.set(this.writer.current?.status === 'True' ? 1 : 0);
    } catch (e) {
      const f = e as Failure;
      this.metrics.gateWrites.inc({ outcome: f.kind ?? 'other' });
      this.recordError(f);
      const wait = this.gateBackoff.next(f.retryAfterMs ?? null);
      if (!this.closed) {
        this.gateTimer = setTimeout(() => {
          this.gateTimer = null;
          this.syncGate();
        }, wait);
      }
    } finally {
      this.syncing = false;
    }
    if (this.syncAgain && !this.closed) this.syncGate();
  }

  // --------------------------------------------------------------------------------------------------- draining

  startDraining(trigger: DrainTrigger): void {
    if (trigger === 'signal') this.signalled = true;
    if (this.drain !== null || this.closed) return;
    this.drain = { startedAt: Date.now(), trigger, before: this.phase === 'ready' ? 'ready' : 'starting' };
    this.phase = 'draining';
    this.clearFailOpen();
    this.metrics.draining.set(1);
    this.log.info({ deadline: iso(this.deadline()) }, `draining (${trigger}): watching the target until it is deregistered`);
    this.tick();
  }

  /** When `/v1/prestop` must answer at the latest: the deletion deadline minus the app's drain budget. */
  private deadline(): number {
    const started = this.drain?.startedAt ?? Date.now();
    const pod = this.watcher.pod;
    const dts = pod?.metadata?.deletionTimestamp;
    if (dts) return new Date(dts as unknown as string).getTime() - this.config.appDrainBudgetMs;
    const grace = pod?.spec?.terminationGracePeriodSeconds ?? 30;
    return started + grace * 1000 - this.config.appDrainBudgetMs;
  }

  private evidenceAvailable(): boolean {
    return this.source.tellsDeregistration && this.forbidden === null && this.sourceFailures < 3;
  }

  waitPrestop(): Promise<PrestopResult> {
    this.startDraining('prestop');
    const begun = Date.now();
    const p = new Promise<PrestopResult>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const finish = (ended: PrestopEnd): void => {
        if (timer) clearTimeout(timer);
        this.waiters.delete(finish);
        const waitedMs = Date.now() - begun;
        const detail =
          ended === 'deregistered'
            ? 'the target is deregistered from every target group'
            : ended === 'fallback-delay'
              ? `no evidence available (${this.forbidden ?? this.lastError?.message ?? `${this.source.kind} cannot tell deregistration`}): fixed delay ${formatDuration(this.config.fallbackDelayMs)}`
              : ended === 'deadline'
                ? `the deletion deadline minus the app's drain budget (${formatDuration(this.config.appDrainBudgetMs)}) was reached`
                : 'the sidecar is shutting down';
        this.metrics.prestopSeconds.observe({ ended }, waitedMs / 1000);
        this.log.info(`/v1/prestop answered after ${formatDuration(waitedMs)}: ${ended}`);
        resolve({ ended, waitedMs, detail });
        if (ended !== 'closed') void this.endDrainWithoutDeletion(ended);
      };
      this.waiters.add(finish);
      this.tick();
      const check = (): void => {
        timer = null;
        const now = Date.now();
        const started = this.drain?.startedAt ?? begun;
        if (this.deregisteredAt !== null) finish('deregistered');
        else if (now >= this.deadline()) finish('deadline');
        else if (!this.evidenceAvailable() && now - started >= this.config.fallbackDelayMs) finish('fallback-delay');
        else timer = setTimeout(check, 100);
      };
      check();
    });
    this.waits.add(p);
    void p.finally(() => this.waits.delete(p));
    return p;
  }

  /**
   * After the last /v1/prestop wait ended: if the pod is still not being deleted (a stray call, or the kubelet
   * running preStop before it restarts the app container, e.g. after a failed liveness probe), go back to the phase
   * before draining. Otherwise the gate could never turn True, and `deregistered` (evidence of a wait nobody follows
   * with a deletion) would end the restarted app's next drain at once. The pod is read afresh first: the watch may
   * lag behind a real deletion. A failed read keeps what the watch saw (going back only makes core wait longer).
   */
  private async endDrainWithoutDeletion(ended: PrestopEnd): Promise<void> {
    const d = this.drain;
    const stray = (): boolean =>
      this.drain === d && d?.trigger === 'prestop' && this.waiters.size === 0 && !this.deletionSeen && !this.signalled && !this.closed;
    if (!stray() || this.watcher.gone !== null) return;
    await this.watcher.read(); // onPod sees a deletionTimestamp, if any
    if (!d || !stray() || this.watcher.gone !== null) return;
    this.drain = null;
    this.phase = d.before;
    if (this.marginTimer) clearTimeout(this.marginTimer);
    this.marginTimer = null;
    this.goneSince = null;
    this.deregisteredAt = null;
    this.metrics.draining.set(0);
    this.metrics.deregistered.set(0);
    // A real deletion later records its own TargetDraining/Deregistered.
    this.emittedOnce.delete('TargetDraining');
    this.emittedOnce.delete('Deregistered');
    const message = `a /v1/prestop wait ended (${ended}) but the pod is not being deleted (no deletionTimestamp): back to ${d.before}, deregistered reset to false (a stray call, or the kubelet ran preStop to restart the app container, e.g. after a failed liveness probe)`;
    this.log.warn(message);
    this.emitOnce('PrestopWithoutDeletion', message, 'Warning');
    if (this.phase === 'starting') {
      const ms = this.config.failOpenAfterMs;
      if (ms !== null && this.failOpenTimer === null) {
        this.failOpenTimer = setTimeout(() => this.failOpen(ms), Math.max(0, this.startedAt + ms - Date.now()));
        this.failOpenTimer.unref();
      }
      // A Retry-After/backoff from a failed poll during the wait still holds.
      const wait = this.pollNotBefore - Date.now();
      if (wait > 0 && this.pollTimer === null && !this.polling) {
        this.pollTimer = setTimeout(() => {
          this.pollTimer = null;
          this.tick();
        }, wait);
      } else this.tick();
    }
  }

  async settled(): Promise<void> {
    while (this.waits.size > 0) await Promise.all([...this.waits]);
  }

  // ----------------------------------------------------------------------------------------------------- status

  status(): SidecarStatusBody {
    const cur = this.writer.current;
    const status = cur?.status === 'True' || cur?.status === 'False' ? cur.status : 'Unknown';
    return {
      apiVersion: 'draingate.io/v1',
      source: this.config.source,
      gate: {
        conditionType: this.config.conditionType,
        status,
        reason: cur?.reason ?? null,
        message: cur?.message ?? null,
        lastTransitionTime: iso(cur?.lastTransitionTime),
      },
      deregistered: this.deregisteredAt !== null,
      deregisteredAt: this.deregisteredAt === null ? null : iso(new Date(this.deregisteredAt)),
      targets: this.obs?.targets ?? [],
      lastError: this.lastError,
      phase: this.phase,
      detail: this.obs?.detail ?? null,
      evidenceAvailable: this.evidenceAvailable(),
      draining: this.drain
        ? {
            startedAt: iso(new Date(this.drain.startedAt)) as string,
            trigger: this.drain.trigger,
            deadline: iso(new Date(this.deadline())) as string,
          }
        : null,
      writesStopped: this.writer.stopped,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const json = (code: number, body: unknown): void => {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(405, { error: 'GET only' });
      return;
    }
    switch (path) {
      case '/livez':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/v1/status':
        json(200, this.status());
        return;
      case '/v1/prestop':
        if (req.method !== 'GET') {
          json(405, { error: 'GET only: /v1/prestop starts draining' });
          return;
        }
        void this.waitPrestop().then((r) => json(200, r));
        return;
      case '/metrics':
        void this.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
          (e: unknown) => json(500, { error: String(e) }),
        );
        return;
      default:
        json(404, { error: `no route ${path}: try /v1/status, /v1/prestop, /metrics, /livez` });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.pollTimer, this.gateTimer, this.marginTimer, this.failOpenTimer]) if (t) clearTimeout(t);
    this.watcher.stop();
    for (const w of [...this.waiters]) w('closed');
    this.source.close?.();
    this.kube.close();
    await new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}
