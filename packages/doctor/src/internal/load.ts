import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { kustomizationFile, renderKustomization } from './kustomize.js';
import { type InputProblem, type K8sObject, parseManifests } from './objects.js';

/** Objects that are checked together: one kustomization, one directory of plain manifests, or the listed files. */
export interface InputUnit {
  /** What the unit is, for people: a kustomization directory, a directory, or the files given. */
  readonly label: string;
  readonly objects: K8sObject[];
  readonly problems: InputProblem[];
}

/** Thrown for a path that does not exist or cannot be read: a usage error (exit code 2). */
export class InputError extends Error {
  override readonly name = 'InputError';
}

const YAML_FILE = /\.(ya?ml)$/i;

/**
 * Reads the doctor's inputs. A directory with a kustomization is rendered (see {@link renderKustomization});
 * any other directory contributes its YAML files (recursively) as one unit, and each kustomization below it
 * as a unit of its own; files named on the command line and standard input (`stdin`) form one unit.
 */
export function loadInputs(paths: readonly string[], stdin: string | null, cwd: string = process.cwd()): InputUnit[] {
  const units: InputUnit[] = [];
  const loose: Parsed[] = [];
  if (stdin !== null) loose.push({ file: 'standard input', ...parseManifests(stdin, '-') });
  for (const path of paths) {
    if (!existsSync(path)) throw new InputError(`${path}: no such file or directory.`);
    if (statSync(path).isDirectory()) units.push(...loadDir(path, cwd));
    else {
      const shown = relative(cwd, path) || path;
      loose.push({ file: shown, ...parseManifests(read(path), shown) });
    }
  }
  if (loose.length > 0) units.unshift(...group(loose.length === 1 && stdin !== null ? 'standard input' : 'the files given', loose));
  return units;
}

interface Parsed {
  readonly file: string;
  readonly objects: K8sObject[];
  readonly problems: InputProblem[];
}

const identity = (o: K8sObject): string =>
  `${o.apiVersion.split('/').length > 1 ? o.apiVersion.split('/')[0] : ''}/${o.kind}/${o.namespace ?? ''}/${o.name}`;

/**
 * Files are checked together (a Service in one selects the Deployment in another), unless the same object is
 * defined in more than one of them (e.g. one rendered file per environment): then each file is checked alone.
 */
function group(label: string, files: readonly Parsed[]): InputUnit[] {
  const seen = new Map<string, string>();
  let repeated = false;
  for (const f of files) {
    for (const o of f.objects) {
      const id = identity(o);
      const other = seen.get(id);
      if (other !== undefined && other !== f.file) repeated = true;
      seen.set(id, f.file);
    }
  }
  if (repeated) return files.map((f) => ({ label: `file ${f.file}`, objects: f.objects, problems: f.problems }));
  return [{ label, objects: files.flatMap((f) => f.objects), problems: files.flatMap((f) => f.problems) }];
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function loadDir(dir: string, cwd: string): InputUnit[] {
  const shown = relative(cwd, dir) || '.';
  if (kustomizationFile(dir)) {
    return [{ label: `kustomization ${shown}`, ...renderKustomization(dir, cwd) }];
  }
  const units: InputUnit[] = [];
  const plain: Parsed[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        if (kustomizationFile(path)) units.push(...loadDir(path, cwd));
        else walk(path);
      } else if (YAML_FILE.test(entry.name)) {
        const file = relative(cwd, path);
        plain.push({ file, ...parseManifests(read(path), file) });
      }
    }
  };
  walk(dir);
  if (plain.length > 0 || units.length === 0) units.unshift(...group(`directory ${shown}`, plain));
  return units;
}
