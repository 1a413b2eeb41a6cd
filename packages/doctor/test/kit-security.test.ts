/**
 * The kit's ServiceAccount limits, on a real kube-apiserver (packages/sidecar's fixture, test/k8s/build.sh): with
 * examples/k8s/sidecar/admission-policy.yaml applied for real, a token bound to one pod (what the kubelet mounts
 * into the sidecar) may patch that pod's status and no other's, a token bound to no pod may patch none, and users
 * other than the web ServiceAccount are not affected. RBAC alone (sidecar/rbac.yaml) grants pods/status patch on
 * every pod of the namespace.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { type ApiServer, startApiServer } from '@draingate/testkit/k8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = resolve(import.meta.dirname, '../../..');
const NS = 'draingate-demo';

/** Where each kind the test creates lives in the REST API. */
const PATHS: Record<string, string> = {
  Namespace: '/api/v1/namespaces',
  ServiceAccount: `/api/v1/namespaces/${NS}/serviceaccounts`,
  Role: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`,
  RoleBinding: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
  ValidatingAdmissionPolicy: '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies',
  ValidatingAdmissionPolicyBinding: '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings',
};

let api: ApiServer;
beforeAll(async () => {
  api = await startApiServer();
}, 150_000);
afterAll(async () => {
  await api?.stop();
}, 30_000);

interface Answer {
  code: number;
  // biome-ignore lint/suspicious/noExplicitAny: the answers are Kubernetes objects whose shape each call knows
  body: any;
}

/** One request to the API server with `token` (the admin's by default); JSON in, JSON out. */
function kube(method: string, path: string, body: unknown, token = api.adminToken, contentType = 'application/json'): Promise<Answer> {
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((res, rej) => {
    const req = request(
      new URL(`${api.url}${path}`),
      {
        method,
        ca: Buffer.from(api.caData, 'base64'),
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': Buffer.byteLength(text) },
        timeout: 10_000,
      },
      (r) => {
        let out = '';
        r.on('data', (b: Buffer) => {
          out += b.toString();
        });
        r.on('end', () => {
          let parsed: unknown = out;
          try {
            parsed = JSON.parse(out);
          } catch {}
          res({ code: r.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after 10 s`)));
    req.on('error', rej);
    req.end(text);
  });
}

async function create(path: string, body: unknown): Promise<Answer> {
  const a = await kube('POST', path, body);
  if (a.code !== 201) throw new Error(`POST ${path}: HTTP ${a.code}: ${JSON.stringify(a.body).slice(0, 500)}`);
  return a;
}

/** The patch the sidecar sends for its condition (strategic merge on pods/status), with `token`. */
async function patchStatus(token: string, pod: string): Promise<{ code: number; message: string }> {
  const a = await kube(
    'PATCH',
    `/api/v1/namespaces/${NS}/pods/${pod}/status`,
    { status: { conditions: [{ type: 'draingate.io/lb-ready', status: 'True', reason: 'TargetHealthy', message: 'test' }] } },
    token,
    'application/strategic-merge-patch+json',
  );
  return { code: a.code, message: String(a.body?.message ?? '') };
}

describe('examples/k8s/sidecar: the web ServiceAccount may write its own pod only', () => {
  it('the ValidatingAdmissionPolicy refuses another pod, and a token bound to no pod; RBAC alone would allow both', async () => {
    const text = readFileSync(join(root, 'examples/k8s/rendered/alb-ip.yaml'), 'utf8');
    const objects = parseAllDocuments(text)
      .map((d) => d.toJS() as { kind: string })
      .filter((o) => o.kind in PATHS);
    expect(objects.map((o) => o.kind).sort()).toEqual(Object.keys(PATHS).sort());
    const isPolicy = (o: { kind: string }) => o.kind.startsWith('ValidatingAdmissionPolicy');
    // RBAC first, the policy last: in between, RBAC alone decides.
    for (const o of objects.filter((x) => !isPolicy(x))) await create(PATHS[o.kind] as string, o);
    const pods: Record<string, string> = {};
    for (const name of ['web-a', 'web-b']) {
      const pod = await create(`/api/v1/namespaces/${NS}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { 'app.kubernetes.io/name': 'web' } },
        spec: { serviceAccountName: 'web', containers: [{ name: 'app', image: 'registry.example/app:1' }] },
      });
      pods[name] = pod.body.metadata.uid;
    }
    const boundTo = async (pod: string): Promise<string> => {
      const tr = await create(`/api/v1/namespaces/${NS}/serviceaccounts/web/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: ['https://kubernetes.default.svc.cluster.local'],
          expirationSeconds: 3600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod, uid: pods[pod] },
        },
      });
      return tr.body.status.token;
    };
    const tokenA = await boundTo('web-a');
    const unbound = await api.tokenFor(NS, 'web');

    // RBAC alone: the token of pod web-a may patch web-b too (the risk the policy removes).
    expect(await patchStatus(tokenA, 'web-b')).toMatchObject({ code: 200 });
    expect(await patchStatus(unbound, 'web-b')).toMatchObject({ code: 200 });

    for (const o of objects.filter(isPolicy)) await create(PATHS[o.kind] as string, o);
    // The API server loads policies asynchronously: wait (bounded) until the policy is enforced.
    let denied = await patchStatus(tokenA, 'web-b');
    for (const deadline = Date.now() + 30_000; denied.code === 200 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      denied = await patchStatus(tokenA, 'web-b');
    }
    expect(denied.code).toBe(403);
    expect(denied.message).toContain('the web ServiceAccount may write the status of its own pod only');

    expect(await patchStatus(tokenA, 'web-a')).toMatchObject({ code: 200 });
    expect(await patchStatus(unbound, 'web-a')).toMatchObject({ code: 403 });
    // A token bound to web-b writes web-b.
    expect(await patchStatus(await boundTo('web-b'), 'web-b')).toMatchObject({ code: 200 });
    // Other users (here the admin; in a cluster the kubelet and the AWS Load Balancer Controller) are not matched.
    expect(await patchStatus(api.adminToken, 'web-a')).toMatchObject({ code: 200 });
    // What was written is what the sidecar writes.
    const a = await kube('GET', `/api/v1/namespaces/${NS}/pods/web-a`, undefined);
    expect((a.body.status.conditions as { type: string; status: string }[]).find((c) => c.type === 'draingate.io/lb-ready')?.status).toBe(
      'True',
    );
  }, 90_000);
});
