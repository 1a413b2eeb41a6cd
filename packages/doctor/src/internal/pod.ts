/** The pod template's containers, with the field path of each, and what doctor reads from a container. */
import { get, isObj, type Obj, objs, str } from './objects.js';

/** One container of the pod template, with its field path. */
export interface ContainerInfo {
  readonly spec: Obj;
  readonly name: string;
  /** e.g. `spec.template.spec.containers[name=app]` */
  readonly path: string;
  readonly init: boolean;
}

/** The init containers, then the containers, of a pod spec found at `base`. */
export function containers(pod: Obj, base: string): ContainerInfo[] {
  const out: ContainerInfo[] = [];
  for (const [list, init] of [
    ['initContainers', true],
    ['containers', false],
  ] as const) {
    for (const [i, c] of objs(pod[list]).entries()) {
      const name = str(c.name) ?? `#${i}`;
      out.push({ spec: c, name, path: `${base}.${list}[name=${name}]`, init });
    }
  }
  return out;
}

/** Env of a container as name → literal value; names set through valueFrom are listed separately. */
export function envOf(c: Obj): { env: Record<string, string>; unresolved: string[] } {
  const env: Record<string, string> = {};
  const unresolved: string[] = [];
  for (const e of objs(c.env)) {
    const name = str(e.name);
    if (!name) continue;
    if (e.value !== undefined && e.value !== null) env[name] = String(e.value);
    else if (e.valueFrom !== undefined) unresolved.push(name);
    else env[name] = '';
  }
  return { env, unresolved };
}

/** A fixed preStop sleep (native `sleep`, or `sleep N` in an exec command), with its field. */
export interface PreStopSleep {
  readonly seconds: number;
  readonly field: string;
  /** The exec command, when the sleep is one; `null` for the native `lifecycle.preStop.sleep`. */
  readonly exec: string[] | null;
}

export function preStopSleep(c: ContainerInfo): PreStopSleep | null {
  const pre = get(c.spec, 'lifecycle', 'preStop');
  if (!isObj(pre)) return null;
  const native = get(pre, 'sleep', 'seconds');
  if (typeof native === 'number') return { seconds: native, field: `${c.path}.lifecycle.preStop.sleep.seconds`, exec: null };
  const command = get(pre, 'exec', 'command');
  if (!Array.isArray(command)) return null;
  const words = command.map(String);
  const m = /(?:^|[\s;&|/])sleep\s+(\d+(?:\.\d+)?)/.exec(words.join(' '));
  if (!m) return null;
  return { seconds: Number(m[1]), field: `${c.path}.lifecycle.preStop.exec.command`, exec: words };
}
