import { type KubeAuth, KubeClient, type RequestParams, type WatchEvent } from '@draingate/sidecar/internal';
import { TokenBucket } from './token-bucket.js';

/**
 * The sidecar's small Kubernetes client with client-go's manners for a controller: writes (anything but GET) take a
 * token of a `qps`/`burst` bucket first, Events last (an Event can wait, a gate cannot); every request is counted by
 * verb. Pod status patches are paced before they are made (ConditionSync `pace`, on this {@link bucket}: a condition
 * turning True first, then False ones, then Events), so that a pod's wishes queued behind a backlog cost one write,
 * not one each. Reads and watches are not limited: one informer per resource makes few of them.
 */
/** Pod status: paced by the caller (ConditionSync) on the same bucket. */
const PACED = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/status$/;

export class LimitedKubeClient extends KubeClient {
  readonly bucket: TokenBucket;
  constructor(
    auth: KubeAuth,
    qps: number,
    burst: number,
    private readonly count: (verb: string) => void = () => {},
    maxSockets = 4,
  ) {
    super(auth, { maxSockets });
    this.bucket = new TokenBucket(qps, burst);
  }

  override async request<T>(method: string, path: string, p: RequestParams = {}): Promise<T> {
    if (method !== 'GET' && !PACED.test(path)) await this.bucket.take(path.endsWith('/events') ? 'low' : 'high');
    this.count(method === 'GET' ? (p.query?.limit !== undefined ? 'list' : 'get') : method.toLowerCase());
    return super.request<T>(method, path, p);
  }

  override watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (e: WatchEvent) => void,
    onDone: (err: unknown) => void,
  ): Promise<() => void> {
    this.count('watch');
    return super.watch(path, query, onEvent, onDone);
  }

  override close(): void {
    this.bucket.close();
    super.close();
  }
}
