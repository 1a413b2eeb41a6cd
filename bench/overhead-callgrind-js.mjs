// Where the instructions of a kept callgrind window go, by function, JavaScript functions named: reads the files
// that `DG_KEEP_CALLGRIND=prefix node bench/overhead-instructions.mjs` keeps (prefix.FRAMEWORK-VARIANT-METRICS-
// CONNECTIONS-PID and its .map, V8's --perf-basic-prof map of JIT code). Given two windows (bare, then with
// draingate), prints the functions whose self cost per request differs most.
//
//   node bench/overhead-callgrind-js.mjs [--requests 3000] [--top 40] FILE [BASELINE_FILE]
import { readFileSync } from 'node:fs';
import { intFlag, selfCosts } from './overhead-instructions.mjs';

/** V8's perf map: sorted [start, end, name] of JIT code. */
function readMap(file) {
  const entries = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) entries.push([Number.parseInt(m[1], 16), Number.parseInt(m[1], 16) + Number.parseInt(m[2], 16), m[3]]);
  }
  // Later entries win (code moved or recompiled at the same address): keep the last one per start.
  entries.sort((a, b) => a[0] - b[0]);
  return entries;
}

function nameOf(map, address) {
  let lo = 0;
  let hi = map.length - 1;
  let found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid][0] <= address) {
      found = map[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found && address < found[1] ? found[2] : null;
}

/** Self cost per function; a function callgrind names by address only (JIT code) gets its V8 name. */
function namedSelfCosts(file) {
  let map = [];
  try {
    map = readMap(`${file}.map`);
  } catch {}
  return selfCosts(file, (fn) => {
    const m = /^0x([0-9a-f]+)$/.exec(fn);
    return m ? (nameOf(map, Number.parseInt(m[1], 16)) ?? 'JIT code, unnamed') : fn;
  });
}

const requests = intFlag('requests', 3000);
const top = intFlag('top', 40);
const files = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const [file, baseline] = files;
if (!file) throw new Error('usage: node bench/overhead-callgrind-js.mjs [--requests N] [--top N] FILE [BASELINE_FILE]');
const a = namedSelfCosts(file);
const b = baseline ? namedSelfCosts(baseline) : new Map();
const rows = [];
for (const name of new Set([...a.keys(), ...b.keys()])) rows.push([name, ((a.get(name) ?? 0) - (b.get(name) ?? 0)) / requests]);
rows.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
const sum = (m) => [...m.values()].reduce((s, x) => s + x, 0) / requests;
console.log(
  `total ${sum(a).toFixed(0)}${baseline ? ` vs ${sum(b).toFixed(0)}: ${(sum(a) - sum(b)).toFixed(0)}` : ''} instructions/request`,
);
for (const [name, d] of rows.slice(0, top)) console.log(`${d.toFixed(1).padStart(10)}  ${name.slice(0, 150)}`);
