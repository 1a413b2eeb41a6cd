/**
 * A simulated kubelet (and the scheduler's one step that matters here) for tests and benchmarks that run the real
 * kube-apiserver and kube-controller-manager but no nodes:
 *
 *   const sim = await KubeletSim.start(api.adminKubeConfig(), { namespace: 'web', nodes: ['n1', 'n2'] });
 *   ...                                  // create a Deployment: the sim binds, starts and readies its pods
 *   await sim.stop();
 *
 * - **Nodes**: creates the fake Nodes (Ready=True, an InternalIP) if missing; the EndpointSlice controller skips
 *   pods whose Node does not exist.
 * - **Binding**: there is no scheduler, so a pod without `spec.nodeName` is bound to the next fake Node (round
 *   robin) through the `pods/binding` subresource, as kube-scheduler does; pods on other nodes are left alone.
 * - **Start**: one strategic merge patch of `pods/status` (uid precondition): phase Running, a pod IP from
 *   198.18.0.0/15 (RFC 2544's benchmarking range: never contacted, only written into API objects; the API server
 *   refuses loopback addresses in EndpointSlices), every container running and, after `containersReadyAfterMs`,
 *   ready.
 * - **Ready** is computed as kubelet's status manager does (`GeneratePodReadyCondition` in
 *   kubernetes/pkg/kubelet/status/generate.go, v1.37.1, read from the module cache of `test/k8s`): ContainersReady
 *   AND every `spec.readinessGates[].conditionType` condition True, with kubelet's reasons and messages; it is
 *   computed again whenever the pod changes (kubelet's `NeedToReconcilePodReadiness`), e.g. when a gate turns True.
 * - **Termination**: on `deletionTimestamp` the containers keep running (and ready: kubelet keeps probing a
 *   terminating pod) for `terminationDelayMs` (at most the deletion grace period), then exit 0: the pod goes to
 *   phase Succeeded with both conditions False, and is deleted with grace 0 and a uid precondition, as kubelet's
 *   status manager does once a pod is terminal.
 *
 * One list + watch of pods (not one per pod). Writes go through one queue, at most `concurrency` at a time and one
 * at a time per pod, always from the newest pod object seen; a failed write is retried with backoff, at most 20
 * times per pod. Every wait is bounded and `stop()` ends all of it.
 */
import { Agent } from 'node:https';
import { HttpError, type KubeAuth, KubeClient, type WatchEvent } from '@draingate/sidecar/internal';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeletConditions, type PodJson, type PodState, terminalStatus } from './kubelet-status.js';
import { createNodes, deletePod, keepAliveAuth } from './sim-api.js';

export { kubeletConditions, type PodJson, podReady } from './kubelet-status.js';

export interface KubeletSimOptions {
  /** The fake Nodes (default `sim-node-1`, `sim-node-2`). */
  nodes?: readonly string[];
  /** Only pods of this namespace (default: every namespace). */
  namespace?: string;
  /** Containers turn ready this long after the pod starts (default 0: in the first status write). */
  containersReadyAfterMs?: number;
  /** How long containers run on after `deletionTimestamp` before they exit (default 0; capped by the grace period). */
  terminationDelayMs?: number;
  /** API writes at once (default 4, the client's socket pool). */
  concurrency?: number;
}

export interface KubeletSimStats {
  binds: number;
  statusWrites: number;
  deletes: number;
  /** Failed writes (retried) and watch failures. */
  failures: number;
  watchRestarts: number;
  /** The last few failure messages. */
  errors: string[];
}

const MAX_RETRIES = 20;
const MAX_WATCH_RESTARTS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class KubeletSim {
  readonly stats: KubeletSimStats = { binds: 0, statusWrites: 0, deletes: 0, failures: 0, watchRestarts: 0, errors: [] };
  private readonly api: KubeClient;
  private readonly auth: KubeAuth;
  private readonly deleteAgent = new Agent({ keepAlive: true, maxSockets: 4 });
  private readonly nodes: readonly string[];
  private readonly pods = new Map<string, PodState>();
  private readonly dirty = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private nextIp = 0;
  private nextNode = 0;
  private closed = false;
  private stopWatch: (() => void) | null = null;
  private watchLoop: Promise<void> = Promise.resolve();

  private constructor(
    kc: KubeConfig,
    private readonly o: KubeletSimOptions,
  ) {
    this.auth = keepAliveAuth(kc);
    this.api = new KubeClient(this.auth);
    this.nodes = o.nodes ?? ['sim-node-1', 'sim-node-2'];
    if (this.nodes.length === 0) throw new Error('KubeletSim: `nodes` is empty: give at least one Node name');
  }

  /** Creates the Nodes, lists the pods, and returns once the watch is running. */
  static async start(kc: KubeConfig, options: KubeletSimOptions = {}): Promise<KubeletSim> {
    const sim = new KubeletSim(kc, options);
    await createNodes(sim.api, sim.nodes);
    const rv = await sim.list();
    sim.watchLoop = sim.watch(rv);
    return sim;
  }

  /** Pods this simulator tracks now. */
  get size(): number {
    return this.pods.size;
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.stopWatch?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.dirty.clear();
    for (let i = 0; i < 100 && this.inFlight.size > 0; i++) await sleep(100); // ≤ 10 s for writes under way
    await this.watchLoop;
    this.api.close();
    this.deleteAgent.destroy();
  }

  private get podsPath(): string {
    return this.o.namespace ? `/api/v1/namespaces/${encodeURIComponent(this.o.namespace)}/pods` : '/api/v1/pods';
  }

  /** Lists every pod (pages of 500, at most 1000 pages); returns the list's resourceVersion. */
  private async list(): Promise<string> {
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = '';
    for (let page = 0; page < 1000; page++) {
      const l = await this.api.request<{ metadata: { resourceVersion: string; continue?: string }; items: PodJson[] }>(
        'GET',
        this.podsPath,
        { query: { limit: 500, continue: cont } },
      );
      for (const p of l.items) {
        seen.add(p.metadata.uid);
        this.observe(p);
      }
      rv = l.metadata.resourceVersion;
      cont = l.metadata.continue;
      if (!cont) break;
    }
    for (const uid of [...this.pods.keys()]) if (!seen.has(uid)) this.forget(uid);
    return rv;
  }

  /** Watches from `rv`; reconnects when the server ends the watch, lists again after a failure or 410 Gone. */
  private async watch(startRv: string): Promise<void> {
    let rv = startRv;
    for (let restart = 0; !this.closed && restart < MAX_WATCH_RESTARTS; restart++) {
      if (restart > 0) this.stats.watchRestarts++;
      let gone = false;
      const ended = await new Promise<unknown>((resolve) => {
        const onEvent = ({ type, object }: WatchEvent): void => {
          const o = object as PodJson & { code?: number };
          if (type === 'ERROR') {
            gone = o.code === 410;
            return;
          }
          if (o.metadata?.resourceVersion) rv = o.metadata.resourceVersion;
          if (type === 'DELETED') this.forget(o.metadata.uid);
          else if (type !== 'BOOKMARK') this.observe(o);
        };
        const query = { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 300 };
        this.api.watch(this.podsPath, query, onEvent, resolve).then((abort) => {
          // The client calls no onDone for a watch it was told to stop: end this wait here.
          this.stopWatch = () => {
            abort();
            resolve(null);
          };
          if (this.closed) this.stopWatch();
        }, resolve);
      });
      this.stopWatch = null;
      if (this.closed) return;
      if (ended !== null || gone) {
        if (ended !== null) this.fail(`watch pods: ${String(ended)}`);
        await sleep(Math.min(5000, 200 * 2 ** Math.min(restart, 5)));
        if (this.closed) return;
        rv = await this.list().catch((e: unknown) => {
          this.fail(`list pods: ${String(e)}`);
          return rv;
        });
      }
    }
    if (!this.closed) this.fail(`watch pods: gave up after ${MAX_WATCH_RESTARTS} restarts`);
  }

  /**
   * Takes a pod object (watched, listed, or the answer to a write) unless it is older than the one we have
   * (resourceVersions compared as numbers: they are etcd revisions here, though the API calls them opaque).
   */
  private observe(pod: PodJson): void {
    const uid = pod.metadata.uid;
    const st = this.pods.get(uid);
    if (st && Number(pod.metadata.resourceVersion) < Number(st.pod.metadata.resourceVersion)) return;
    if (pod.spec.nodeName && !this.nodes.includes(pod.spec.nodeName)) {
      if (st) this.forget(uid); // bound to a node that is not ours (by someone else)
      return;
    }
    if (st) st.pod = pod;
    else this.pods.set(uid, { pod, retries: 0 });
    this.mark(uid);
  }

  private forget(uid: string): void {
    this.pods.delete(uid);
    this.dirty.delete(uid);
    clearTimeout(this.timers.get(uid));
    this.timers.delete(uid);
  }

  private mark(uid: string): void {
    if (this.closed) return;
    this.dirty.add(uid);
    this.pump();
  }

  private later(uid: string, ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(uid));
    this.timers.set(
      uid,
      setTimeout(() => {
        this.timers.delete(uid);
        this.mark(uid);
      }, ms),
    );
  }

  /** Starts work on dirty pods while fewer than `concurrency` writes are under way (one per pod). */
  private pump(): void {
    const limit = this.o.concurrency ?? 4;
    for (const uid of this.dirty) {
      if (this.inFlight.size >= limit) return;
      if (this.inFlight.has(uid)) continue;
      this.dirty.delete(uid);
      const st = this.pods.get(uid);
      const write = st ? this.next(uid, st) : null;
      if (!write) continue;
      this.inFlight.add(uid);
      void write
        .call(this)
        .then(
          () => {
            if (st) st.retries = 0;
          },
          (e: unknown) => this.retry(uid, e),
        )
        .finally(() => {
          this.inFlight.delete(uid);
          this.pump();
        });
    }
  }

  private retry(uid: string, e: unknown): void {
    const st = this.pods.get(uid);
    if (!st) return;
    if (e instanceof HttpError && (e.code === 404 || (e.code === 422 && e.body.includes('metadata.uid')))) {
      this.forget(uid); // gone or replaced
      return;
    }
    const name = `${st.pod.metadata.namespace}/${st.pod.metadata.name}`;
    // 409: e.g. bound meanwhile; the watch brings the newer object. Not a failure, but retried the same bounded way.
    if (!(e instanceof HttpError && e.code === 409)) this.fail(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (++st.retries > MAX_RETRIES) {
      this.fail(`${name}: gave up after ${MAX_RETRIES} failed writes`);
      this.forget(uid);
      return;
    }
    this.later(uid, Math.min(5000, 100 * 2 ** st.retries));
  }

  private fail(message: string): void {
    this.stats.failures++;
    this.stats.errors.push(message);
    if (this.stats.errors.length > 20) this.stats.errors.shift();
  }

  /** The one write this pod needs now, or null (nothing to do, or a timer will mark it again). */
  private next(uid: string, st: PodState): (() => Promise<void>) | null {
    const pod = st.pod;
    const { namespace, name } = pod.metadata;
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
    const phase = pod.status?.phase;
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const now = Date.now();
    if (pod.metadata.deletionTimestamp && terminal) {
      if (st.deleteSent) return null;
      return async () => {
        await deletePod(this.auth, this.deleteAgent, path, uid);
        st.deleteSent = true;
        this.stats.deletes++;
      };
    }
    if (terminal) return null;
    if (!pod.spec.nodeName) {
      if (st.bindSent) return null;
      const node = this.nodes[this.nextNode++ % this.nodes.length] as string;
      return async () => {
        await this.api.request('POST', `${path}/binding`, {
          body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
        });
        st.bindSent = true;
        this.stats.binds++;
      };
    }
    if (pod.metadata.deletionTimestamp) {
      st.terminatingAt ??= now;
      const graceMs = (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
      const due = st.terminatingAt + Math.min(this.o.terminationDelayMs ?? 0, graceMs);
      if (now < due) {
        this.later(uid, due - now);
        return null;
      }
      return this.patchStatus(path, uid, terminalStatus(pod, new Date(now)));
    }
    st.startedAt ??= now;
    st.ip ??= this.allocateIp();
    const readyAt = st.startedAt + (this.o.containersReadyAfterMs ?? 0);
    if (now < readyAt) this.later(uid, readyAt - now);
    const nodeIndex = this.nodes.indexOf(pod.spec.nodeName);
    const status = kubeletConditions(pod, {
      ip: st.ip,
      hostIp: `192.0.2.${(nodeIndex % 254) + 1}`,
      startedAt: new Date(st.startedAt),
      containersReady: now >= readyAt,
      now: new Date(now),
    });
    return status ? this.patchStatus(path, uid, status) : null;
  }

  private patchStatus(path: string, uid: string, status: Record<string, unknown>): () => Promise<void> {
    return async () => {
      const pod = await this.api.request<PodJson>('PATCH', `${path}/status`, {
        body: { metadata: { uid }, status },
        contentType: 'application/strategic-merge-patch+json',
      });
      this.stats.statusWrites++;
      this.observe(pod);
    };
  }

  /** A unique address in 198.18.0.0/15, never reused in this run (skips .0 and .255). */
  private allocateIp(): string {
    let n = ++this.nextIp;
    while ((n & 255) === 0 || (n & 255) === 255) n = ++this.nextIp;
    if (n >= 2 ** 17) throw new Error('KubeletSim: more than 130 000 pod IPs allocated');
    return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  }
}
