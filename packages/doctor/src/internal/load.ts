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
  const loose: InputUnit = { label: 'the files given', objects: [], problems: [] };
  if (stdin !== null) {
    const parsed = parseManifests(stdin, '-');
    loose.objects.push(...parsed.objects);
    loose.problems.push(...parsed.problems);
  }
  for (const path of paths) {
    if (!existsSync(path)) throw new InputError(`${path}: no such file or directory.`);
    if (statSync(path).isDirectory()) units.push(...loadDir(path, cwd));
    else {
      const parsed = parseManifests(read(path), relative(cwd, path) || path);
      loose.objects.push(...parsed.objects);
      loose.problems.push(...parsed.problems);
    }
  }
  if (stdin !== null || loose.objects.length > 0 || loose.problems.length > 0 || paths.some((p) => !statSync(p).isDirectory())) {
    units.unshift(loose);
  }
  return units;
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
  const plain: InputUnit = { label: `directory ${shown}`, objects: [], problems: [] };
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        if (kustomizationFile(path)) units.push(...loadDir(path, cwd));
        else walk(path);
      } else if (YAML_FILE.test(entry.name)) {
        const parsed = parseManifests(read(path), relative(cwd, path));
        plain.objects.push(...parsed.objects);
        plain.problems.push(...parsed.problems);
      }
    }
  };
  walk(dir);
  if (plain.objects.length > 0 || plain.problems.length > 0 || units.length === 0) units.unshift(plain);
  return units;
}
