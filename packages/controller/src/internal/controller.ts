import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createJsonLogger, type Logger } from '@draingate/sidecar';
import { authFromKubeConfig, inClusterAuth, type KubeAuth, type KubeConfigLike } from '@draingate/sidecar/internal';
import type { Registry } from 'prom-client';
import type { ControllerConfig } from './config.js';
import { TargetHealthPoller } from './health.js';
import { ControllerApi } from './http-api.js';
import { LimitedKubeClient } from './kube-limited.js';
import { LeaderElector } from './leader.js';
import { createControllerMetrics } from './metrics.js';
import { type ControllerStatusBody, PodRegistry } from './pods.js';
import { TargetMap } from './target-map.js';
import { TokenBucket } from './token-bucket.js';

export interface StartControllerOptions {
  config: ControllerConfig;
  /** Overrides `config.kubeconfig` / the in-cluster service account: a @kubernetes/client-node `KubeConfig`. */
  kubeConfig?: KubeConfigLike;
  /** In-cluster only: where the service-account token and `ca.crt` are. */
  serviceAccountDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Static AWS credentials; default: the SDK's provider chain (IRSA, EKS Pod Identity, env). */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface Controller {
  /** `http://<host>:<port>` of the API. */
  readonly url: string;
  readonly config: ControllerConfig;
  readonly registry: Registry;
  isLeader(): boolean;
  /** The leader this replica sees, or null. */
  leader(): string | null;
  /** What `GET /v1/pods/{namespace}/{name}/status` answers, or null for an unknown pod. */
  status(namespace: string, name: string): ControllerStatusBody | null;
  /** Stops; with `release` (the default) a leader hands the Lease back so that a follower takes over at once. */
  close(options?: { release?: boolean }): Promise<void>;
}

/**
 * Starts a controller replica: the API first, then the informers (pods carrying the gate, TargetGroupBindings,
 * Services) and the leader election. Every replica keeps an engine per pod and answers; the leader also calls AWS
 * (one DescribeTargetHealth per target group per poll, through a token bucket) and writes.
 */
/**
 * Requests at once to the API server: the qps bucket is the limit, not the socket pool (the sidecar's 4 sockets
 * made writes queue behind the API server's latency at 1,000 pods: ~20 writes/s at 200 ms each).
 */
const WRITE_SOCKETS = 32;

export async function startController(options: StartControllerOptions): Promise<Controller> {
  const c = options.config;
  const log = options.logger ?? createJsonLogger();
  const auth = await kubeAuth(options);
  let metrics: ReturnType<typeof createControllerMetrics> | null = null;
  const kube = new LimitedKubeClient(auth, c.kubeApi.qps, c.kubeApi.burst, (verb) => metrics?.apiRequests.inc({ verb }), WRITE_SOCKETS);
  // Leader election on a client of its own: a renewal never waits behind a queue of writes.
  const electionKube = new LimitedKubeClient(auth, 1000, 1000, (verb) => metrics?.apiRequests.inc({ verb }));
  const awsBucket = new TokenBucket(c.aws.rate, c.aws.burst);
  const client = new ElasticLoadBalancingV2Client({
    region: c.aws.region,
    maxAttempts: 1, // our own loop backs off and counts every call
    ...(c.aws.endpoint ? { endpoint: c.aws.endpoint } : {}),
    ...(options.awsCredentials ? { credentials: options.awsCredentials } : {}),
  });
  let elector: LeaderElector | null = null;
  const leading = (): boolean => elector?.isLeader ?? false;
  const poller = new TargetHealthPoller({
    client,
    bucket: awsBucket,
    intervalMs: c.pollIntervalMs,
    lbType: c.lbType,
    leading,
    log,
    onCall: (action, outcome) => metrics?.awsCalls.inc({ action, outcome }),
  });
  let pods: PodRegistry | null = null;
  const targets = new TargetMap(
    kube,
    c.namespace,
    (ns) => pods?.retarget(ns),
    (message) => log.warn(`target groups: ${message}`),
  );
  const m = createControllerMetrics({
    phases: () => pods?.phases() ?? {},
    targetGroups: () => poller.groups(),
    bucketTokens: () => awsBucket.tokens,
    bucketWaitSeconds: () => awsBucket.waitedMs / 1000,
  });
  metrics = m;
  const registry = new PodRegistry({
    kube,
    // The priority is read when a token is free: a False wish that turned True while queued goes first.
    pace: (wish) => kube.bucket.take(() => (wish().status === 'True' ? 'high' : 'normal')),
    config: c,
    poller,
    targets,
    log,
    metrics: m.engine,
    leading,
    leader: () => elector?.leader ?? null,
  });
  pods = registry;
  const api = new ControllerApi(
    {
      status: (ns, name) => registry.status(ns, name),
      ready: () => registry.informer.synced && targets.synced,
      onStatus: (code) => m.statusRequests.inc({ code: String(code) }),
    },
    m.registry,
    c.allow,
  );
  let url: string;
  try {
    url = await api.listen(c.listenPort, c.listenHost);
  } catch (e) {
    client.destroy();
    kube.close();
    electionKube.close();
    awsBucket.close();
    throw e;
  }
  log.info(
    {
      identity: c.identity,
      lease: `${c.lease.namespace}/${c.lease.name}`,
      awsRate: c.aws.rate,
      awsBurst: c.aws.burst,
      poll: c.pollIntervalMs,
    },
    `draingate-controller listening on ${url}`,
  );
  if (c.failOpenAfterMs !== null)
    log.warn(`fail-open is ON: a gate turns True ${c.failOpenAfterMs} ms after its pod's creation even without evidence`);
  targets.start();
  registry.start();
  const elect = new LeaderElector({
    kube: electionKube,
    namespace: c.lease.namespace,
    name: c.lease.name,
    identity: c.identity,
    leaseDurationMs: c.lease.durationMs,
    renewDeadlineMs: c.lease.renewDeadlineMs,
    retryPeriodMs: c.lease.retryPeriodMs,
    log,
    onStartedLeading: () => {
      m.leader.set(1);
      m.leaderTransitions.inc();
      registry.resume();
      poller.wake();
    },
    onStoppedLeading: () => {
      m.leader.set(0);
      m.leaderTransitions.inc();
    },
  });
  elector = elect;
  elect.start();
  let closing: Promise<void> | null = null;
  return {
    url,
    config: c,
    registry: m.registry,
    isLeader: () => elect.isLeader,
    leader: () => elect.leader,
    status: (ns, name) => registry.status(ns, name),
    close({ release = true } = {}) {
      closing ??= (async () => {
        await elect.stop(release);
        poller.close();
        registry.close();
        targets.stop();
        await api.close();
        awsBucket.close();
        client.destroy();
        kube.close();
        electionKube.close();
      })();
      return closing;
    },
  };
}

async function kubeAuth(options: StartControllerOptions): Promise<KubeAuth> {
  if (options.kubeConfig) return authFromKubeConfig(options.kubeConfig);
  if (options.config.kubeconfig) {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(options.config.kubeconfig);
    return authFromKubeConfig(kc);
  }
  return inClusterAuth(options.env ?? process.env, options.serviceAccountDir);
}
