// The README's overhead table in one run: for node:http, Express 5, Fastify 5 and Nest 11 on each, bare and with draingate
// (metrics on, the default, and off), the instructions per request at 1 and at 50 connections
// (bench/overhead-instructions.mjs, callgrind) and the CPU time per request at 50 connections
// (bench/overhead.mjs, autocannon, with the bare-vs-bare noise floor).
//
//   node bench/overhead-table.mjs [--requests 3000] [--warmup 20000] [--repeats 1]
//                                 [--cpu-requests 30000] [--cpu-warmup 10000] [--rounds 5]
//                                 [--only node,express,fastify,nest-express,nest-fastify,hono,koa]
//   (needs valgrind; ~45 min on 2 busy cores)

import { measureCpu, median, spread } from './overhead.mjs';
import { FRAMEWORK_NAMES, intFlag, listFlag, measureInstructions, variantsOf } from './overhead-instructions.mjs';

const frameworks = listFlag('only', ['node', 'express', 'fastify', 'nest-express', 'nest-fastify', 'hono', 'koa']);
const requests = intFlag('requests', 3000);
const warmup = intFlag('warmup', 20_000);
const repeats = intFlag('repeats', 1);
const cpuRequests = intFlag('cpu-requests', 30_000);
const rounds = intFlag('rounds', 5);
const cpuWarmup = intFlag('cpu-warmup', 10_000);
const log = (s) => process.stderr.write(s);

const instr = await measureInstructions({ frameworks, connections: [1, 50], requests, warmup, repeats, log });
const cpu = await measureCpu({ frameworks, connections: 50, requests: cpuRequests, warmup: cpuWarmup, rounds, log });

const ratio = (x) => `${x >= 1 ? '+' : '−'}${Math.abs((x - 1) * 100).toFixed(1)} %`;
console.log(
  `\nnode ${process.version}. Instructions: callgrind, ${requests} requests after ${warmup} warm-up, mean of ${repeats}, --predictable, GC and JIT apart. CPU: ${rounds} rounds × ${cpuRequests} requests, 50 connections, median (range without the extremes).`,
);
console.log(
  '| framework | variant | instructions/request, 1 connection | instructions/request, 50 connections | µs CPU/request, 50 connections |',
);
console.log('|---|---|---:|---:|---:|');
for (const fw of frameworks) {
  for (const v of variantsOf(fw)) {
    const cells = [1, 50].map((c) => {
      const m = instr.get(`${fw}|${v.label}|${c}`);
      const bare = instr.get(`${fw}|bare|${c}`);
      if (!m || !bare) return 'failed';
      const n = Math.round(m.mutator).toLocaleString('en-US');
      return v.label === 'bare' ? n : `${n} (${ratio(m.mutator / bare.mutator)})`;
    });
    const row = cpu[fw][v.label];
    if (!row) cells.push('');
    else {
      const s = spread(row.ratios);
      const c = median(row.cpu).toFixed(2);
      cells.push(v.label === 'bare' ? c : `${c} (${ratio(s.median)}; ${ratio(s.low)} to ${ratio(s.high)})`);
    }
    console.log(`| ${FRAMEWORK_NAMES[fw]} | ${v.label} | ${cells.join(' | ')} |`);
  }
  const floor = spread(cpu[fw]['bare again'].ratios);
  console.log(
    `| ${FRAMEWORK_NAMES[fw]} | bare again (noise floor) | | | ${ratio(floor.median)}; ${ratio(floor.low)} to ${ratio(floor.high)} |`,
  );
}
