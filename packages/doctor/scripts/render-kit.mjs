#!/usr/bin/env node
// Renders each overlay of examples/k8s into examples/k8s/rendered/<overlay>.yaml (for kubectl apply -f without
// kustomize), with doctor's built-in kustomize renderer. Run after `pnpm exec tsc -b`:
//   node packages/doctor/scripts/render-kit.mjs           write the files
//   node packages/doctor/scripts/render-kit.mjs --check   exit 1 if a file differs from what would be written
// test/kit.test.ts runs --check, so the rendered files never drift from the overlays.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const { renderKustomization, toYaml } = await import(pathToFileURL(join(root, 'packages/doctor/dist/index.js')).href);
const check = process.argv.includes('--check');
const overlays = join(root, 'examples/k8s/overlays');
let stale = 0;
for (const name of readdirSync(overlays).sort()) {
  const { objects, problems } = renderKustomization(join(overlays, name), root);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.source.file}:${p.source.line}: ${p.message}`).join('\n'));
  const text =
    `# Generated from examples/k8s/overlays/${name} by packages/doctor/scripts/render-kit.mjs: do not edit.\n` +
    `# Apply: kubectl apply -f examples/k8s/rendered/${name}.yaml   (or: kubectl apply -k examples/k8s/overlays/${name})\n` +
    toYaml(objects);
  const out = join(root, 'examples/k8s/rendered', `${name}.yaml`);
  if (check) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {}
    if (current !== text) {
      stale++;
      console.error(`${relative(root, out)} is out of date: run node packages/doctor/scripts/render-kit.mjs`);
    }
  } else {
    writeFileSync(out, text);
    console.log(`wrote ${relative(root, out)}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
