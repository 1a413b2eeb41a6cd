import { podEvents } from '@draingate/testkit/cluster';
import { TEST_CREDENTIALS } from '@draingate/testkit/elbv2';
import type { KubeConfig } from '@kubernetes/client-node';
import { resolveConfig } from '../../src/internal/config.js';
import { createJsonLogger, type Logger } from '../../src/internal/logger.js';
import type { PrestopResult } from '../../src/internal/prestop.js';
import { type Sidecar, startSidecar } from '../../src/internal/sidecar.js';
import { waitFor } from './pods.js';

export { podEvents };

export const TG1 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef';
export const TG2 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-b/fedcba9876543210';

/** A KubeConfig, or in-cluster auth: the apiserver's address and a directory with `token` and `ca.crt`. */
export type SidecarKubeConfig = KubeConfig | { inCluster: { host: string; port: string; serviceAccountDir: string } };

/** A logger that keeps lines (shown when a test fails) and prints nothing. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const l = createJsonLogger('debug', (line) => {
    lines.push(line.trimEnd());
  });
  return Object.assign(l, { lines });
}

/**
 * Starts a sidecar in this process for a pod, configured through the real flag parser (`args`), listening on an
 * ephemeral loopback port, with the given KubeConfig (or in-cluster auth from a service-account directory) and the
 * fake AWS credentials.
 */
export async function runSidecar(
  kc: SidecarKubeConfig,
  pod: { name: string; namespace: string; uid: string; ip?: string },
  args: string[],
  logger: Logger = memoryLogger(),
): Promise<Sidecar> {
  const env = {
    POD_NAME: pod.name,
    POD_NAMESPACE: pod.namespace,
    POD_UID: pod.uid,
    POD_IP: pod.ip ?? '10.0.0.5',
    NODE_NAME: 'node-1',
    KUBERNETES_SERVICE_HOST: 'inCluster' in kc ? kc.inCluster.host : 'in-test',
    KUBERNETES_SERVICE_PORT: 'inCluster' in kc ? kc.inCluster.port : '443',
  };
  const config = resolveConfig(['--listen', '127.0.0.1:0', '--poll-interval', '200ms', '--propagation-bound', '300ms', ...args], env);
  if ('inCluster' in kc) {
    return startSidecar({ config, env, serviceAccountDir: kc.inCluster.serviceAccountDir, logger, awsCredentials: TEST_CREDENTIALS });
  }
  return startSidecar({ config, kubeConfig: kc, logger, awsCredentials: TEST_CREDENTIALS });
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  return { status: res.status, body: (await res.json()) as T };
}

/** Waits until at least `count` events were recorded for the pod; returns them. */
export async function waitForEvents(
  kc: KubeConfig,
  namespace: string,
  name: string,
  count: number,
): Promise<{ reason: string; message: string; type: string }[]> {
  return waitFor(`${count} events`, async () => {
    const ev = await podEvents(kc, namespace, name);
    return ev.length >= count ? ev : null;
  });
}

/** `GET /v1/prestop` as the kubelet's preStop hook sends it; resolves with the answer once the wait ends. */
export function prestop(sidecar: Sidecar): Promise<{ status: number; body: PrestopResult }> {
  return getJson<PrestopResult>(`${sidecar.url}/v1/prestop`);
}
