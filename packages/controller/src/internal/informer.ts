import { HttpError, type KubeClient, kubeFailure, RetryTimer, type WatchEvent } from '@draingate/sidecar/internal';

/** The metadata an informer needs of every object. */
export interface KubeObject {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; managedFields?: unknown };
}

export interface InformerOptions<T extends KubeObject> {
  /** Collection path, e.g. `/api/v1/pods` or `/api/v1/namespaces/web/pods`. */
  path: string;
  /** For logs and errors: `pods`, `services`, ... */
  what: string;
  labelSelector?: string | null;
  /** Keep only objects that pass (e.g. pods carrying the gate); others are treated as absent. */
  filter?: (o: T) => boolean;
  onUpsert(o: T, old: T | null): void;
  onDelete(o: T): void;
  /** After each complete list (the first one: the cache is synced). */
  onSynced?(): void;
  /** A failed list or watch (the informer retries by itself). */
  onFailure?(message: string, notFound: boolean): void;
}

/**
 * Drops what no draingate code reads and the cache would hold for every object: `metadata.managedFields` (the
 * server-side-apply bookkeeping, often the largest part of a pod), as client-go informers' transforms commonly do.
 */
function lighten(o: KubeObject): void {
  if (o.metadata?.managedFields !== undefined) delete o.metadata.managedFields;
}

/**
 * One list + watch of a collection, kept as a cache by `namespace/name`, as client-go's informers do: list (pages of
 * 500), then watch from the list's resourceVersion with bookmarks; the server closing the watch starts another from
 * the last resourceVersion seen; an error or 410 Gone lists again after a jittered backoff (500 ms × 2ⁿ, ≤ 30 s).
 * A relist reports what changed and what vanished. Every loop is bounded by the backoff and {@link stop}.
 */
export class Informer<T extends KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #o: InformerOptions<T>;
  #rv = '';
  #synced = false;
  #closed = false;
  #abort: (() => void) | null = null;
  /** When the last list or watch event arrived (epoch ms): how fresh the cache is. */
  lastEventAt = 0;
  lists = 0;
  watches = 0;
  readonly #retry = new RetryTimer(() => void this.#cycle(), { baseMs: 500, maxMs: 30_000, unref: true });

  constructor(
    private readonly kube: KubeClient,
    options: InformerOptions<T>,
  ) {
    this.#o = options;
  }

  get synced(): boolean {
    return this.#synced;
  }

  get size(): number {
    return this.#items.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#items.get(`${namespace ?? ''}/${name}`);
  }

  values(): IterableIterator<T> {
    return this.#items.values();
  }

  start(): void {
    this.#retry.runSoon();
  }

  stop(): void {
    this.#closed = true;
    this.#retry.close();
    this.#abort?.();
  }

  #key(o: T): string {
    return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  }

  #upsert(o: T): void {
    lighten(o);
    const key = this.#key(o);
    const old = this.#items.get(key) ?? null;
    if (this.#o.filter && !this.#o.filter(o)) {
      if (old) {
        this.#items.delete(key);
        this.#o.onDelete(old);
      }
      return;
    }
    this.#items.set(key, o);
    this.#o.onUpsert(o, old);
  }

  #delete(o: T): void {
    const key = this.#key(o);
    const old = this.#items.get(key);
    if (!old) return;
    this.#items.delete(key);
    this.#o.onDelete(old);
  }

  async #list(): Promise<void> {
    const seen = new Set<string>();
    let cont: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const l = await this.kube.request<{ metadata?: { resourceVersion?: string; continue?: string }; items?: T[] }>('GET', this.#o.path, {
        query: { limit: 500, continue: cont, labelSelector: this.#o.labelSelector ?? undefined },
      });
      if (this.#closed) return;
      for (const o of l.items ?? []) {
        seen.add(this.#key(o));
        this.#upsert(o);
      }
      this.#rv = l.metadata?.resourceVersion ?? '';
      cont = l.metadata?.continue;
      if (!cont) break;
    }
    for (const [key, o] of [...this.#items]) if (!seen.has(key)) this.#delete(o);
    this.lists++;
    this.lastEventAt = Date.now();
    this.#synced = true;
    this.#o.onSynced?.();
  }

  /** Lists when needed, then watches until the watch ends; schedules the next cycle. */
  async #cycle(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.#rv) await this.#list();
      if (this.#closed) return;
      const ended = await this.#watch();
      if (this.#closed) return;
      if (ended === 'closed') {
        this.#retry.reset();
        this.#retry.runIn(0);
        return;
      }
      this.#rv = ''; // 410 Gone: the resourceVersion is too old; list again
      this.#retry.backOff();
    } catch (e) {
      if (this.#closed) return;
      const f = kubeFailure(e, `list ${this.#o.what}`, this.#o.path);
      this.#o.onFailure?.(f.message, e instanceof HttpError && e.code === 404);
      this.#rv = '';
      this.#retry.backOff(f.retryAfterMs);
    }
  }

  /** Resolves `closed` when the server ended the watch normally, `gone` on 410; rejects on errors. */
  #watch(): Promise<'closed' | 'gone'> {
    return new Promise((resolve, reject) => {
      let gone = false;
      const onEvent = ({ type, object }: WatchEvent): void => {
        const o = object as T & { code?: number };
        this.lastEventAt = Date.now();
        if (type === 'ERROR') {
          gone = o.code === 410;
          return;
        }
        if (o.metadata?.resourceVersion) this.#rv = o.metadata.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED') this.#upsert(o);
        else if (type === 'DELETED') this.#delete(o);
      };
      const onDone = (err: unknown): void => {
        this.#abort = null;
        if (err) reject(err);
        else resolve(gone ? 'gone' : 'closed');
      };
      const query = {
        resourceVersion: this.#rv,
        allowWatchBookmarks: true,
        timeoutSeconds: 300 + Math.floor(Math.random() * 60),
        labelSelector: this.#o.labelSelector ?? undefined,
      };
      this.kube.watch(this.#o.path, query, onEvent, onDone).then((abort) => {
        this.watches++;
        this.#retry.reset();
        this.#abort = () => {
          abort();
          resolve('closed');
        };
        if (this.#closed) this.#abort();
      }, reject);
    });
  }
}
