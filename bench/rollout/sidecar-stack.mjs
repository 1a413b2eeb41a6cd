// The app + sidecar stack inside the rollout harness (issue 11): each pod runs the real draingate-sidecar
// (`--source aws`) beside the app, as the kit deploys it, and the app reads it through DRAINGATE_SIDECAR_URL.
//
// What is real: the kube-apiserver + etcd (the pods' objects: the sidecar reads its pod, sees its
// deletionTimestamp and patches its condition, as in a cluster), the sidecar process and its AWS SDK, which talks
// the ELBv2 Query/XML protocol to a fake endpoint. What is emulated: that endpoint's answers are the harness's API
// view of the target group (target-group.mjs): `initial`/`healthy`/`unhealthy`, `draining` the moment the emulated
// controller calls DeregisterTargets (while the LB nodes go on routing for their own propagation delays), `unused`
// after the deregistration delay. DescribeTargetGroups answers the model's protocol (HTTP: an ALB; TCP: an NLB), so
// the sidecar picks the load balancer type's propagation bound itself.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { authFromKubeConfig, HttpError, KubeClient } from '@draingate/sidecar/internal';
import { FakeElbv2, TEST_CREDENTIALS } from '@draingate/testkit/elbv2';
import { ensureNamespace, startApiServer } from '@draingate/testkit/k8s';

const NAMESPACE = 'rollout';
export const TARGET_GROUP_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/rollout/0123456789abcdef';
const require = createRequire(import.meta.url);
/** The sidecar's CLI, as its package.json `bin` names it (built by `pnpm run build`). */
export const SIDECAR_CLI = join(dirname(require.resolve('@draingate/sidecar/package.json')), 'dist/cli.js');

/**
 * Starts the kube-apiserver and the fake ELBv2, and feeds the fake from the target group's API view.
 * @param {{ targetGroup: import('./target-group.mjs').TargetGroup, mode: 'http' | 'tcp' }} o
 */
export async function startSidecarStack({ targetGroup, mode }) {
  const api = await startApiServer();
  const work = mkdtempSync(join(tmpdir(), 'draingate-stack-'));
  const kubeconfig = join(work, 'kubeconfig');
  let elb;
  try {
    const kc = api.adminKubeConfig();
    writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });
    await ensureNamespace(kc, NAMESPACE);
    elb = await new FakeElbv2().start();
  } catch (e) {
    await api.stop();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  elb.protocol(TARGET_GROUP_ARN, mode === 'tcp' ? 'TCP' : 'HTTP');
  // The API view, pushed into the fake as it changes: every target's id is 127.0.0.1, told apart by port.
  const onChange = (pod, state) => {
    if (state === 'unused') elb.remove(TARGET_GROUP_ARN, '127.0.0.1', pod.port);
    else elb.set(TARGET_GROUP_ARN, '127.0.0.1', pod.port, state);
  };
  targetGroup.on('change', onChange);
  const kube = new KubeClient(authFromKubeConfig(api.adminKubeConfig()));
  const request = async (method, path, body) => {
    try {
      return await kube.request(method, path, body ? { body } : {});
    } catch (e) {
      if (e instanceof HttpError && e.code === 404) return null; // already gone
      throw e;
    }
  };

  return {
    elb,
    /** Creates the pod's object (the sidecar reads it) and returns what the sidecar needs. */
    async createPod(name, gracePeriodSeconds) {
      const pod = await request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, {
        metadata: { name, namespace: NAMESPACE, labels: { app: 'rollout' } },
        spec: {
          nodeName: 'node-1',
          terminationGracePeriodSeconds: gracePeriodSeconds,
          containers: [{ name: 'app', image: 'app:rollout' }],
        },
      });
      return { uid: pod.metadata.uid };
    },
    /** The deletion as Kubernetes makes it: deletionTimestamp now + the grace period; the object stays until removed. */
    async deletePod(name, gracePeriodSeconds) {
      // A query parameter, not a DeleteOptions body: Node sends a DELETE body without Content-Length.
      await request('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${name}?gracePeriodSeconds=${gracePeriodSeconds}`);
    },
    /** The kubelet's last word once the containers exited: the object goes. */
    async removePod(name) {
      await request('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${name}?gracePeriodSeconds=0`);
    },
    /** The sidecar's command line and environment for a pod (the kit's settings, pointed at this cluster). */
    sidecarArgs({ name, uid, podPort, listenPort }) {
      return {
        args: [
          SIDECAR_CLI,
          '--source=aws',
          `--listen=127.0.0.1:${listenPort}`,
          `--kubeconfig=${kubeconfig}`,
          `--pod-name=${name}`,
          `--pod-namespace=${NAMESPACE}`,
          `--pod-uid=${uid}`,
          '--pod-ip=127.0.0.1',
          '--node-name=node-1',
          '--region=eu-west-1',
          `--aws-endpoint=${elb.url}`,
          `--target-group-arn=${TARGET_GROUP_ARN}`,
          `--target-port=${podPort}`,
        ],
        env: {
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      };
    },
    /** DescribeTargetHealth calls the sidecars made (with their outcome), for the report. */
    calls() {
      return elb.describeCalls();
    },
    async stop() {
      targetGroup.off('change', onChange);
      kube.close();
      await elb.stop();
      await api.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A pod name unique across runs of one process (the apiserver lives for one run). */
export function podObjectName(name) {
  return `${name}-${randomUUID().slice(0, 8)}`;
}
