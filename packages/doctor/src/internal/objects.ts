import { isMap, LineCounter, parseAllDocuments } from 'yaml';

/** Where an object came from: the file (`-` for standard input) and the line its document starts on. */
export interface Source {
  readonly file: string;
  readonly line: number;
}

/** One Kubernetes object from the input. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** `metadata.namespace`, or `null` when the manifest leaves it to `kubectl apply -n`. */
  readonly namespace: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The whole object as parsed. */
  readonly raw: Record<string, unknown>;
  readonly source: Source;
}

/** A problem with the input itself (not with what it describes). */
export interface InputProblem {
  readonly source: Source;
  readonly message: string;
}

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function get(value: unknown, ...path: (string | number)[]): unknown {
  let cur = value;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[key];
    } else {
      if (!isObj(cur)) return undefined;
      cur = cur[key];
    }
  }
  return cur;
}

export function objs(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isObj) : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/** Wraps a parsed document as a {@link K8sObject}, or says why it is not one. */
export function toObject(raw: unknown, source: Source): K8sObject | string {
  if (!isObj(raw)) return `a YAML document that is not a Kubernetes object (a mapping with apiVersion and kind)`;
  const kind = str(raw.kind);
  const apiVersion = str(raw.apiVersion);
  if (!kind || !apiVersion) return `a mapping without ${kind ? 'apiVersion' : 'kind'}: not a Kubernetes object`;
  const meta = isObj(raw.metadata) ? raw.metadata : {};
  return {
    apiVersion,
    kind,
    name: str(meta.name) ?? '(unnamed)',
    namespace: str(meta.namespace) ?? null,
    labels: stringMap(meta.labels),
    annotations: stringMap(meta.annotations),
    raw,
    source,
  };
}

/**
 * Parses multi-document YAML. Documents that fail to parse become problems naming the file and line (the
 * others are still read); `kind: List` is unwrapped; empty documents are skipped.
 */
export function parseManifests(text: string, file: string): { objects: K8sObject[]; problems: InputProblem[] } {
  const objects: K8sObject[] = [];
  const problems: InputProblem[] = [];
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const line = lineCounter.linePos(doc.range[0]).line;
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const at = err && err.pos[0] !== undefined ? lineCounter.linePos(err.pos[0]).line : line;
      problems.push({ source: { file, line: at }, message: `invalid YAML: ${err ? err.message.split('\n')[0] : 'unknown error'}` });
      continue;
    }
    if (doc.contents === null) continue;
    const contentLine = doc.contents.range ? lineCounter.linePos(doc.contents.range[0]).line : line;
    const source = { file, line: contentLine };
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      problems.push({ source, message: `invalid YAML: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    if (raw === null || raw === undefined) continue;
    if (isMap(doc.contents) && isObj(raw) && raw.kind === 'List' && Array.isArray(raw.items)) {
      for (const item of raw.items) {
        const o = toObject(item, source);
        if (typeof o === 'string') problems.push({ source, message: `List item is ${o}` });
        else objects.push(o);
      }
      continue;
    }
    const o = toObject(raw, source);
    if (typeof o === 'string') problems.push({ source, message: o });
    else objects.push(o);
  }
  return { objects, problems };
}
