import type { Logger } from '@draingate/sidecar';
import { HttpError, type KubeClient, kubeFailure } from '@draingate/sidecar/internal';

/** A coordination.k8s.io/v1 Lease, the fields leader election uses. */
interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
  };
}

export interface LeaderElectionOptions {
  kube: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  /** This replica leads now: start calling AWS and writing. */
  onStartedLeading(): void;
  /** This replica stopped leading (lost the Lease, or could not renew within the renew deadline). */
  onStoppedLeading(): void;
  /** The holder this replica sees changed (`null`: nobody). */
  onNewLeader?(identity: string | null): void;
}

/** The last Lease record seen, and when it was first seen locally (epoch ms). */
interface Observed {
  holder: string;
  renewTime: string;
  durationMs: number;
  at: number;
}

/** A MicroTime as the API server writes it (RFC 3339, microseconds). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), as client-go's leaderelection does it: every `retryPeriod`
 * (×1.0–1.2 jitter) a candidate reads the Lease and takes it when nobody holds it or when its holder has not renewed
 * it for `leaseDuration` **as observed locally** (no clock comparison between nodes: the time this replica last saw
 * the record change); the write is a PUT with the read resourceVersion, so two candidates cannot both win. The
 * leader renews every `retryPeriod` and steps down when no renewal succeeded for `renewDeadline` (shorter than the
 * lease duration, so it stops before anybody else may start). {@link stop} with `release` hands the Lease back
 * (holder empty, duration 1 s) so that a follower takes over at its next try instead of after the lease duration.
 */
export class LeaderElector {
  #leading = false;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;
  /** The last record seen, and when it was first seen locally (epoch ms). */
  #observed: Observed | null = null;
  #lastRenewAt = 0;
  #leader: string | null = null;
  #loop: Promise<void> = Promise.resolve();
  /** Leader transitions seen by this replica (becoming or losing the leader). */
  transitions = 0;
  readonly #o: LeaderElectionOptions;

  constructor(options: LeaderElectionOptions) {
    this.#o = options;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** The current holder as this replica last saw it, or null. */
  get leader(): string | null {
    return this.#leader;
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#o.namespace)}/leases`;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Stops trying; with `release` (a graceful shutdown of the leader) the Lease is handed back first. */
  async stop(release: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#loop;
    const wasLeading = this.#leading;
    this.#setLeading(false);
    if (release && wasLeading) await this.#release();
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#loop = this.#tick();
    }, ms);
  }

  async #tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.#tryAcquireOrRenew();
    } catch (e) {
      const f = kubeFailure(e, 'update leases.coordination.k8s.io', this.#o.namespace);
      this.#o.log.warn({ kind: f.kind }, `leader election: ${f.message}`);
    }
    if (this.#closed) return;
    const now = Date.now();
    if (ok) {
      this.#lastRenewAt = now;
      this.#setLeading(true);
    } else if (this.#leading && now - this.#lastRenewAt >= this.#o.renewDeadlineMs) {
      this.#o.log.error(`leader election: could not renew the Lease for ${this.#o.renewDeadlineMs} ms: stepping down`);
      this.#setLeading(false);
    }
    const period = this.#o.retryPeriodMs;
    this.#schedule(this.#leading ? period : period * (1 + 0.2 * Math.random()));
  }

  #setLeading(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.transitions++;
    if (leading) {
      this.#o.log.info(`leader election: ${this.#o.identity} is the leader (Lease ${this.#o.namespace}/${this.#o.name})`);
      this.#seeLeader(this.#o.identity);
      this.#o.onStartedLeading();
    } else {
      this.#o.log.warn(`leader election: ${this.#o.identity} is no longer the leader`);
      this.#o.onStoppedLeading();
    }
  }

  #seeLeader(holder: string | null): void {
    if (holder === this.#leader) return;
    this.#leader = holder;
    this.#o.onNewLeader?.(holder);
  }

  /** One round of client-go's tryAcquireOrRenew. True when this replica holds the Lease after it. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const me = this.#o.identity;
    const spec = {
      holderIdentity: me,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: Lease;
    try {
      lease = await this.#o.kube.request<Lease>('GET', `${this.#path}/${encodeURIComponent(this.#o.name)}`, {
        timeoutMs: this.#o.retryPeriodMs * 2,
      });
    } catch (e) {
      if (!(e instanceof HttpError && e.code === 404)) throw e;
      const body: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.#o.name, namespace: this.#o.namespace },
        spec,
      };
      try {
        await this.#o.kube.request('POST', this.#path, { body });
      } catch (err) {
        if (err instanceof HttpError && err.code === 409) return false; // another candidate created it first
        throw err;
      }
      this.#observed = { holder: me, renewTime: spec.renewTime, durationMs: this.#o.leaseDurationMs, at: now };
      return true;
    }
    const s = lease.spec ?? {};
    const holder = s.holderIdentity ?? '';
    const renewTime = s.renewTime ?? '';
    const durationMs = (s.leaseDurationSeconds ?? Math.ceil(this.#o.leaseDurationMs / 1000)) * 1000;
    const o = this.#observed;
    if (!o || o.holder !== holder || o.renewTime !== renewTime) this.#observed = { holder, renewTime, durationMs, at: now };
    const observed = this.#observed as Observed;
    this.#seeLeader(holder === '' ? null : holder);
    if (holder !== '' && holder !== me && observed.at + observed.durationMs > now) return false;
    if (holder === me) spec.acquireTime = s.acquireTime ?? spec.acquireTime;
    spec.leaseTransitions = (s.leaseTransitions ?? 0) + (holder === me ? 0 : 1);
    const body: Lease = { ...lease, spec };
    try {
      await this.#o.kube.request('PUT', `${this.#path}/${encodeURIComponent(this.#o.name)}`, {
        body,
        timeoutMs: this.#o.retryPeriodMs * 2,
      });
    } catch (e) {
      if (e instanceof HttpError && e.code === 409) return false; // somebody else wrote it since our read
      throw e;
    }
    this.#observed = { holder: me, renewTime: spec.renewTime, durationMs: this.#o.leaseDurationMs, at: now };
    return true;
  }

  async #release(): Promise<void> {
    try {
      const path = `${this.#path}/${encodeURIComponent(this.#o.name)}`;
      const lease = await this.#o.kube.request<Lease>('GET', path, { timeoutMs: 2000 });
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      const now = microTime(Date.now());
      const spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now };
      await this.#o.kube.request('PUT', path, { body: { ...lease, spec }, timeoutMs: 2000 });
      this.#o.log.info(`leader election: released Lease ${this.#o.namespace}/${this.#o.name}`);
    } catch (e) {
      this.#o.log.warn(
        `leader election: could not release the Lease (followers take over after the lease duration): ${(e as Error).message}`,
      );
    }
  }
}
