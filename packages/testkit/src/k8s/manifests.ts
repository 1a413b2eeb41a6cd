/**
 * What tests apply to the test API server: a server-side dry-run of YAML documents (as `kubectl apply
 * --dry-run=server`), and the AWS Load Balancer Controller's TargetGroupBinding CRD.
 */
import {
  ApiException,
  ApiextensionsV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ensureNamespace } from './apiserver.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface DryRunResult {
  kind: string;
  name: string;
  namespace: string | undefined;
  /** `null` when the server accepted the document. */
  error: string | null;
  /** HTTP status of the failed request, if any. */
  code: number | null;
}

/**
 * Submits every YAML document with server-side dry-run (`dryRun=All`, like `kubectl apply --dry-run=server`):
 * a create, or a strategic-merge patch when the object already exists. Namespaces that documents live in are
 * created for real first (a dry-run Namespace does not exist for the documents after it), unless
 * `createNamespaces: false`. Returns one result per non-empty document; YAML syntax errors throw.
 */
export async function dryRunApply(
  kc: KubeConfig,
  yamlText: string,
  opts: { createNamespaces?: boolean; defaultNamespace?: string } = {},
): Promise<DryRunResult[]> {
  const docs = parseAllDocuments(yamlText);
  const objects: KubernetesObject[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new Error(`YAML error: ${d.errors.map((e) => e.message).join('; ')}`);
    const o = d.toJS() as KubernetesObject | null;
    if (o !== null && o !== undefined) objects.push(o);
  }
  const client = KubernetesObjectApi.makeApiClient(kc);
  const results: DryRunResult[] = [];
  for (const o of objects) {
    const kind = String(o.kind ?? '');
    const name = String(o.metadata?.name ?? '');
    let namespace = o.metadata?.namespace;
    const result: DryRunResult = { kind, name, namespace, error: null, code: null };
    results.push(result);
    try {
      if (!o.apiVersion || !o.kind) throw new Error('document has no apiVersion/kind');
      // `resource()` is protected in client-node 1.4; it reads (and caches) API discovery.
      const discovery = client as unknown as { resource(apiVersion: string, kind: string): Promise<{ namespaced: boolean } | undefined> };
      const found = await discovery.resource(o.apiVersion, o.kind);
      if (!found) throw new Error(`the server does not serve ${o.kind} in ${o.apiVersion}`);
      const namespaced = found.namespaced;
      if (namespaced && !namespace) {
        namespace = opts.defaultNamespace ?? 'default';
        o.metadata = { ...o.metadata, namespace };
        result.namespace = namespace;
      }
      if (namespaced && namespace && opts.createNamespaces !== false) await ensureNamespace(kc, namespace);
      try {
        await client.create(o, undefined, 'All');
      } catch (e) {
        if (!(e instanceof ApiException && e.code === 409)) throw e;
        await client.patch(o, undefined, 'All', 'draingate-test', undefined, PatchStrategy.StrategicMergePatch);
      }
    } catch (e) {
      result.code = e instanceof ApiException ? e.code : null;
      result.error = describeError(e);
    }
  }
  return results;
}

function describeError(e: unknown): string {
  if (e instanceof ApiException) {
    const body = e.body as unknown;
    let msg: string | undefined;
    if (typeof body === 'string') {
      try {
        msg = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        msg = body;
      }
    } else if (body && typeof body === 'object') msg = (body as { message?: string }).message;
    return `HTTP ${e.code}: ${msg ?? e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * A minimal CustomResourceDefinition for the AWS Load Balancer Controller's `TargetGroupBinding`
 * (`elbv2.k8s.aws/v1beta1`): the fields the sidecar reads (`spec.targetGroupARN`, `spec.targetType`,
 * `spec.serviceRef.{name,port}`), with unknown fields preserved. Waits (≤ 30 s) until the CRD is Established.
 */
export async function installTargetGroupBindingCrd(kc: KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const name = 'targetgroupbindings.elbv2.k8s.aws';
  try {
    await ext.createCustomResourceDefinition({
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name },
        spec: {
          group: 'elbv2.k8s.aws',
          scope: 'Namespaced',
          names: {
            plural: 'targetgroupbindings',
            singular: 'targetgroupbinding',
            kind: 'TargetGroupBinding',
            listKind: 'TargetGroupBindingList',
          },
          versions: [
            {
              name: 'v1beta1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['targetGroupARN', 'serviceRef'],
                      x_kubernetes_preserve_unknown_fields: true,
                      properties: {
                        targetGroupARN: { type: 'string', minLength: 1 },
                        targetType: { type: 'string', _enum: ['instance', 'ip'] },
                        serviceRef: {
                          type: 'object',
                          required: ['name', 'port'],
                          properties: { name: { type: 'string' }, port: { x_kubernetes_int_or_string: true } },
                        },
                      },
                    },
                    status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                  },
                },
              },
            },
          ],
        },
      },
    });
  } catch (e) {
    if (!(e instanceof ApiException && e.code === 409)) throw e;
  }
  const deadline = Date.now() + 30_000;
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    const crd = await ext.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
      // Discovery of the new group can lag a little behind Established.
      const objects = KubernetesObjectApi.makeApiClient(kc);
      try {
        await objects.list('elbv2.k8s.aws/v1beta1', 'TargetGroupBinding', 'default');
        return;
      } catch {
        /* not yet served */
      }
    }
    await sleep(100);
  }
  throw new Error(`CRD ${name} not Established and served within 30 s`);
}
