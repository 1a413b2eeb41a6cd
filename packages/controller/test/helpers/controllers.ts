/**
 * Controller replicas in this process against a test apiserver and the fake ELBv2, configured through the real flag
 * parser, with short lease timings so that a takeover fits a test.
 */

import { createJsonLogger, type Logger } from '@draingate/sidecar';
import { TEST_CREDENTIALS } from '@draingate/testkit/elbv2';
import { ensureNamespace } from '@draingate/testkit/k8s';
import { CoreV1Api, type KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { resolveControllerConfig } from '../../src/internal/config.js';
import { type Controller, startController } from '../../src/internal/controller.js';
import { GATE, waitFor } from './cluster.js';

export const TG1 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef';
export const TG2 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-b/fedcba9876543210';

/** A logger that keeps lines (for failure messages) and prints nothing. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(
    createJsonLogger('debug', (l) => {
      lines.push(l.trimEnd());
    }),
    { lines },
  );
}

export const LEASE_FLAGS = ['--lease-duration=3s', '--renew-deadline=2s', '--retry-period=500ms'];

export async function runController(
  kc: KubeConfig,
  elbUrl: string,
  identity: string,
  args: string[] = [],
  logger: Logger = memoryLogger(),
): Promise<Controller> {
  const env = { POD_NAME: identity, POD_NAMESPACE: 'draingate-system', KUBERNETES_SERVICE_HOST: 'in-test' };
  const config = resolveControllerConfig(
    [
      '--listen=127.0.0.1:0',
      '--region=eu-west-1',
      `--aws-endpoint=${elbUrl}`,
      '--poll-interval=1s',
      '--aws-rate=20',
      '--aws-burst=20',
      '--propagation-bound=1s',
      ...LEASE_FLAGS,
      ...args,
    ],
    env,
  );
  await ensureNamespace(kc, 'draingate-system');
  return startController({ config, kubeConfig: kc, logger, awsCredentials: TEST_CREDENTIALS });
}

/** Waits until exactly one of `controllers` leads; returns it. */
export async function leaderOf(controllers: readonly Controller[], timeoutMs = 20_000): Promise<Controller> {
  return waitFor(
    'one leader',
    () => {
      const leaders = controllers.filter((c) => c.isLeader());
      return leaders.length === 1 ? leaders[0] : null;
    },
    timeoutMs,
  );
}

/** Pods `app-0..n-1` labelled `app=<app>` declaring the gate, with pod IPs `10.1.0.<i+10>` written as a kubelet would. */
export async function createPods(kc: KubeConfig, ns: string, app: string, n: number, grace = 30): Promise<V1Pod[]> {
  await ensureNamespace(kc, ns);
  const core = kc.makeApiClient(CoreV1Api);
  const pods: V1Pod[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${app}-${i}`;
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels: { app } },
        spec: {
          nodeName: 'node-1',
          terminationGracePeriodSeconds: grace,
          readinessGates: [{ conditionType: GATE }],
          containers: [{ name: 'app', image: 'registry.invalid/app:1', ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      },
    });
    pods.push(
      await core.patchNamespacedPodStatus(
        { name, namespace: ns, body: { status: { phase: 'Running', podIP: podIp(i), podIPs: [{ ip: podIp(i) }] } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
  }
  return pods;
}

export function podIp(i: number): string {
  return `10.1.${Math.floor(i / 200)}.${(i % 200) + 10}`;
}
