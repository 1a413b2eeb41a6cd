/**
 * No credential in any output of the sidecar, whatever the services it calls echo back: the AWS SDK's errors (an
 * ELBv2 endpoint that quotes the access key, the secret and the session token) and the Kubernetes API's errors (an
 * API server that quotes the service-account token it was sent). Every path a failure takes is checked: the log,
 * `/v1/status`, the pod's condition message and the Events, recorded or refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/internal/config.js';
import { type Sidecar, startSidecar } from '../../src/internal/sidecar.js';
import { useCluster } from '../helpers/cluster.js';
import { condition, createPod, GATE, readPod, waitFor } from '../helpers/pods.js';
import { memoryLogger, podEvents, runSidecar, TG1 } from '../helpers/sidecar.js';
import { FaultProxy, statusBody } from './fault-proxy.js';

const cluster = useCluster({ elb: true });

/** Everything the sidecar showed about its pod: log lines, `/v1/status`, `/metrics`, the condition, the Events. */
async function everything(sidecar: Sidecar, lines: string[], ns: string): Promise<string> {
  const pod = await readPod(cluster.admin(), ns, 'web');
  const metrics = await (await fetch(`${sidecar.url}/metrics`)).text();
  return [
    ...lines,
    JSON.stringify(sidecar.status()),
    metrics,
    JSON.stringify(condition(pod, GATE) ?? null),
    JSON.stringify(sidecar.events),
    JSON.stringify(await podEvents(cluster.admin(), ns, 'web')),
  ].join('\n');
}

describe('fault: an AWS error that quotes the credentials', () => {
  it('appears in the log, /v1/status, the condition and the events with every credential redacted', async () => {
    const ns = 'redact-aws';
    const credentials = {
      accessKeyId: 'AKIDPLANTED0000000001',
      secretAccessKey: 'planted-secret-access-key-0123456789',
      sessionToken: 'planted-session-token-0123456789abcdef',
    };
    cluster.elb.failAlways({
      code: 'InvalidClientTokenId',
      status: 403,
      message: `The security token included in the request is invalid: ${credentials.sessionToken} (Credential=${credentials.accessKeyId}/20260101/eu-west-1/elasticloadbalancing/aws4_request, key ${credentials.secretAccessKey})`,
    });
    cluster.defer(() => cluster.elb.failAlways(null));
    const pod = await createPod(cluster.admin(), ns, 'web', { nodeName: 'node-1' });
    const logger = memoryLogger();
    const env = {
      POD_NAME: 'web',
      POD_NAMESPACE: ns,
      POD_UID: pod.metadata?.uid as string,
      POD_IP: '10.0.0.5',
      KUBERNETES_SERVICE_HOST: 'x',
    };
    const config = resolveConfig(['--listen=127.0.0.1:0', '--poll-interval=200ms', ...cluster.awsFlags(TG1)], env);
    const sidecar = await startSidecar({ config, kubeConfig: cluster.admin(), logger, awsCredentials: credentials });
    cluster.defer(() => sidecar.close());
    await waitFor('the denial to reach the condition', async () => {
      const c = condition(await readPod(cluster.admin(), ns, 'web'), GATE);
      return c?.reason === 'PermissionDenied' ? c : null;
    });
    const shown = await everything(sidecar, logger.lines, ns);
    for (const secret of Object.values(credentials)) expect(shown).not.toContain(secret);
    // What happened is still said: the error, the action, and where the credentials were.
    expect(sidecar.status().lastError?.message).toMatch(
      /^elasticloadbalancing:DescribeTargetHealth was denied \(InvalidClientTokenId: The security token included in the request is invalid: \[redacted\] \(Credential=\[redacted\], key \[redacted\]\)\)/,
    );
  });
});

describe('fault: a Kubernetes API error that quotes the service-account token', () => {
  it('appears in the log, /v1/status and the events with the token redacted', async () => {
    const ns = 'redact-kube';
    const { api } = cluster;
    const proxy = await new FaultProxy({ url: api.url, caData: api.caData }).start();
    cluster.defer(() => proxy.stop());
    // The pod's projected service account: a token (here the admin's: a plain hex string, not a JWT, so that only
    // knowing it can hide it) and the CA of the API server it talks to (the proxy).
    const dir = mkdtempSync(join(tmpdir(), 'draingate-sa-'));
    cluster.defer(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'token'), `${api.adminToken}\n`);
    writeFileSync(join(dir, 'ca.crt'), proxy.caPem);
    // Writes (the condition, events) fail with a body that quotes the credentials the request carried.
    proxy.rule = (req) =>
      req.method === 'PATCH' || req.method === 'POST'
        ? {
            status: 500,
            body: statusBody(
              500,
              'InternalError',
              `admission webhook failed for ${req.authorization.replace(/^Bearer /, '')} (${req.authorization})`,
            ),
          }
        : null;
    const logger = memoryLogger();
    const pod = await createPod(cluster.admin(), ns, 'web', { nodeName: 'node-1' });
    const sidecar = await runSidecar(
      { inCluster: { host: '127.0.0.1', port: String(proxy.port), serviceAccountDir: dir } },
      { name: 'web', namespace: ns, uid: pod.metadata?.uid as string },
      ['--source=albc'],
      logger,
    );
    cluster.defer(() => sidecar.close());
    await waitFor('a refused write', () => sidecar.status().lastError);
    expect(proxy.count(0, 500)).toBeGreaterThan(0);
    const shown = await everything(sidecar, logger.lines, ns);
    expect(shown).not.toContain(api.adminToken);
    expect(sidecar.status().lastError?.message).toMatch(
      /API server error 500: admission webhook failed for \[redacted\] \(Bearer \[redacted\]\)/,
    );
  });
});
