import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { type InputProblem, isObj, type K8sObject, type Obj, parseManifests, toObject } from './objects.js';

export const KUSTOMIZATION_FILES: readonly string[] = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Thrown when a kustomization uses something this renderer does not implement. */
export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'patches', 'patchesStrategicMerge', 'namespace']);

export function kustomizationFile(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
}

/**
 * Renders a kustomization directory the way `kubectl kustomize` does, for the subset the draingate kit uses:
 * `resources` (files and directories with their own kustomization), `patches` (strategic-merge patches, from
 * `path` or inline `patch`), `patchesStrategicMerge` and `namespace`. Anything else throws a
 * {@link KustomizeError} that says so, rather than rendering something different from kubectl.
 * Objects keep the file and line they came from; `cwd` makes those paths relative.
 */
export function renderKustomization(dir: string, cwd: string = process.cwd()): { objects: K8sObject[]; problems: InputProblem[] } {
  return render(resolve(dir), cwd, new Set());
}

function render(dir: string, cwd: string, seen: Set<string>): { objects: K8sObject[]; problems: InputProblem[] } {
  const file = kustomizationFile(dir);
  if (!file) throw new KustomizeError(`${relative(cwd, dir) || '.'}: no kustomization.yaml in this directory.`);
  if (seen.has(dir)) throw new KustomizeError(`${relative(cwd, file)}: resources form a cycle.`);
  seen.add(dir);
  const shown = relative(cwd, file);
  const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length > 0) throw new KustomizeError(`${shown}: invalid YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
  const parsed: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (!isObj(parsed)) throw new KustomizeError(`${shown}: a kustomization must be a mapping (resources, patches, ...).`);
  const k: Obj = parsed;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) {
      throw new KustomizeError(
        `${shown}: "${key}" is not supported by draingate doctor's built-in renderer (it handles resources, patches, patchesStrategicMerge and namespace). Render it with \`kubectl kustomize ${relative(cwd, dir) || '.'} | draingate doctor -\` instead.`,
      );
    }
  }
  let objects: K8sObject[] = [];
  const problems: InputProblem[] = [];
  for (const entry of list(k.resources, 'resources', shown)) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new KustomizeError(`${shown}: resource ${JSON.stringify(entry)} does not exist.`);
    if (statSync(path).isDirectory()) {
      const sub = render(path, cwd, seen);
      objects.push(...sub.objects);
      problems.push(...sub.problems);
    } else {
      const sub = parseManifests(readFileSync(path, 'utf8'), relative(cwd, path));
      objects.push(...sub.objects);
      problems.push(...sub.problems);
    }
  }
  const patches: { patch: unknown; where: string }[] = [];
  for (const p of Array.isArray(k.patches) ? k.patches : k.patches === undefined ? [] : [k.patches]) {
    if (!isObj(p) || (p.path === undefined && p.patch === undefined) || p.target !== undefined) {
      throw new KustomizeError(
        `${shown}: each entry of patches must be { path: <file> } or { patch: <yaml> } without target (strategic merge by kind and name); render other forms with kubectl kustomize.`,
      );
    }
    const text = typeof p.path === 'string' ? readFileSync(resolve(dir, p.path), 'utf8') : String(p.patch);
    const where = typeof p.path === 'string' ? relative(cwd, resolve(dir, p.path)) : shown;
    for (const o of parseManifests(text, where).objects) patches.push({ patch: o.raw, where });
  }
  for (const entry of list(k.patchesStrategicMerge, 'patchesStrategicMerge', shown)) {
    const where = relative(cwd, resolve(dir, entry));
    for (const o of parseManifests(readFileSync(resolve(dir, entry), 'utf8'), where).objects) patches.push({ patch: o.raw, where });
  }
  for (const { patch, where } of patches) {
    const kind = isObj(patch) ? patch.kind : undefined;
    const meta = isObj(patch) && isObj(patch.metadata) ? patch.metadata : {};
    const index = objects.findIndex(
      (o) => o.kind === kind && o.name === meta.name && (meta.namespace === undefined || meta.namespace === o.namespace),
    );
    if (index < 0) throw new KustomizeError(`${where}: the patch targets ${String(kind)}/${String(meta.name)}, which no resource defines.`);
    const target = objects[index] as K8sObject;
    const merged = toObject(strategicMerge(target.raw, patch), target.source);
    if (typeof merged === 'string') throw new KustomizeError(`${where}: the patch leaves ${merged}.`);
    objects[index] = merged;
  }
  if (typeof k.namespace === 'string') {
    const ns = k.namespace;
    objects = objects.map((o) => {
      if (CLUSTER_SCOPED.has(o.kind)) return o;
      const raw = { ...o.raw, metadata: { ...(isObj(o.raw.metadata) ? o.raw.metadata : {}), namespace: ns } };
      return toObject(raw, o.source) as K8sObject;
    });
  }
  seen.delete(dir);
  return { objects, problems };
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'IngressClass']);

function list(value: unknown, field: string, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new KustomizeError(`${where}: ${field} must be a list of paths.`);
  }
  return value as string[];
}

/** The key that identifies items of a list in a strategic-merge patch (containers, env, ports, volumes: name). */
function mergeKey(items: unknown[]): string | undefined {
  if (items.length === 0 || !items.every(isObj)) return undefined;
  for (const key of ['name', 'conditionType']) if ((items as Obj[]).every((i) => typeof i[key] === 'string')) return key;
  return undefined;
}

/**
 * A strategic merge patch, for the cases Kubernetes manifests need: maps merge key by key (`null` deletes),
 * lists of named items (containers, initContainers, env, ports, volumes, readinessGates) merge by name and
 * `$patch: delete` removes an item, every other list is replaced. A merged list holds the patch's items first, in
 * the patch's order, then the target's items the patch does not name, as `kubectl kustomize` (kustomize v5.5) does.
 */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (isObj(target) && isObj(patch)) {
    if (patch.$patch === 'replace') return clean(patch);
    const out: Obj = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (key === '$patch') continue;
      if (value === null || (isObj(value) && value.$patch === 'delete')) delete out[key];
      else out[key] = key in out ? strategicMerge(out[key], value) : clean(value);
    }
    return out;
  }
  if (Array.isArray(target) && Array.isArray(patch)) {
    const key = mergeKey(patch);
    if (!key || mergeKey(target) !== key) return clean(patch);
    const named = new Set((patch as Obj[]).map((item) => item[key]));
    const out: Obj[] = [];
    for (const item of patch as Obj[]) {
      if (item.$patch === 'delete') continue;
      const existing = (target as Obj[]).find((t) => t[key] === item[key]);
      out.push((existing ? strategicMerge(existing, item) : clean(item)) as Obj);
    }
    for (const t of target as Obj[]) if (!named.has(t[key])) out.push(t);
    return out;
  }
  return clean(patch);
}

function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) if (k !== '$patch') out[k] = clean(v);
  return out;
}
