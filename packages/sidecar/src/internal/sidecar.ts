import { formatDuration } from '@draingate/core/internal';
import type { Registry } from 'prom-client';
import type { AwsCredentials } from './aws.js';
import { describeConfig, type SidecarConfig } from './config.js';
import { HttpApi } from './http-api.js';
import { authFromKubeConfig, authFromKubeconfigFile, inClusterAuth, type KubeAuth, KubeClient, type KubeConfigLike } from './kubeclient.js';
import { createJsonLogger, type Logger } from './logger.js';
import { createMetrics, type SidecarMetrics } from './metrics.js';
import type { DrainTrigger } from './phases.js';
import { PodEngine } from './pod-engine.js';
import type { PrestopResult } from './prestop.js';
import { rememberSecret } from './secrets.js';
import { AlbcSource, AppSource, describeSource, type Source } from './sources.js';
import type { SidecarStatusBody } from './status.js';

// The wiring: the process-wide things (kube client, AWS client, metrics registry, logger, HTTP API) and the one
// pod this sidecar serves (PodEngine, which holds everything per pod).

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

/** Starts the sidecar: the localhost API first, then the pod watch and the source. */
export async function startSidecar(options: StartSidecarOptions): Promise<Sidecar> {
  const config = options.config;
  const log = options.logger ?? createJsonLogger();
  // The AWS credentials, given or in the environment (the SDK's provider chain reads them there): never shown.
  const env = options.env ?? process.env;
  for (const secret of [
    options.awsCredentials?.accessKeyId,
    options.awsCredentials?.secretAccessKey,
    options.awsCredentials?.sessionToken,
    env.AWS_ACCESS_KEY_ID,
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
  ])
    rememberSecret(secret);
  const kube = new KubeClient(await kubeAuth(options));
  const metrics = createMetrics(options.registry);
  const count = (outcome: string): void => metrics.sourceCalls.inc({ source: config.source, outcome });
  let source: Source;
  let closeAws = (): void => {};
  if (config.source === 'aws') {
    // The AWS SDK is loaded only for --source=aws (it is most of the sidecar's memory).
    const aws = await import('./aws.js');
    const elb = aws.createElbv2Client(config, options.awsCredentials);
    closeAws = () => elb.destroy();
    source = new aws.AwsSource(config, kube, elb, count);
  } else if (config.source === 'app') source = new AppSource(config.app.statusUrl as string, config.app.healthyThreshold);
  else source = new AlbcSource();
  const pod = new PodEngine({ config, kube, source, log, metrics });
  const api = new HttpApi(pod, metrics.registry);
  let url: string;
  try {
    url = await api.listen(config.listenPort, config.listenHost);
  } catch (e) {
    closeAws();
    kube.close();
    throw e;
  }
  log.info({ config: describeConfig(config), source: describeSource(config) }, `draingate-sidecar listening on ${url}`);
  if (config.failOpenAfterMs !== null) {
    log.warn(
      `fail-open is ON: the gate turns True after ${formatDuration(config.failOpenAfterMs)} even without evidence that the load balancer routes here`,
    );
  }
  pod.start();
  let closing: Promise<void> | null = null;
  return {
    url,
    config,
    metrics,
    get events() {
      return pod.events;
    },
    status: () => pod.status(),
    startDraining: (trigger) => pod.startDraining(trigger),
    waitPrestop: () => pod.waitPrestop(),
    settled: () => pod.settled(),
    close() {
      closing ??= (async () => {
        pod.close();
        closeAws();
        kube.close();
        await api.close();
      })();
      return closing;
    },
  };
}

async function kubeAuth(options: StartSidecarOptions): Promise<KubeAuth> {
  if (options.kubeConfig) return authFromKubeConfig(options.kubeConfig);
  // Local runs only: @kubernetes/client-node reads the kubeconfig (exec plugins, contexts, ...).
  if (options.config.kubeconfig) return authFromKubeconfigFile(options.config.kubeconfig);
  return inClusterAuth(options.env ?? process.env, options.serviceAccountDir);
}
