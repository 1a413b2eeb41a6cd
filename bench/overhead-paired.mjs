// CPU time per request of bare vs draingate, the two servers loaded at the same time: for frameworks whose requests
// are too costly for callgrind's window on a shared machine (Next.js: ~20× the CPU of node:http per request, so the
// 20,000 warm-up requests of bench/overhead-instructions.mjs take hours under valgrind). Both processes run side by
// side in each round, so load from elsewhere on the machine falls on both alike; bench/overhead.mjs runs the variants
// one after the other, and on a busy machine their spread swamps a few percent.
//
//   node bench/overhead-paired.mjs [--only next] [--requests 1500] [--rounds 4] [--connections 50]
//
// Each round: fresh bare and draingate processes (bench/overhead-server.mjs), half the requests as warm-up on each,
// then `requests` on each at once; the figure is each server's process.cpuUsage() over its measured requests (GC and
// JIT included). Prints one line per round and the median ratio with its range.
import autocannon from 'autocannon';
import { cpuOf, median, startServer } from './overhead.mjs';
import { FRAMEWORK_NAMES, intFlag, listFlag } from './overhead-instructions.mjs';

const frameworks = listFlag('only', ['next']);
const requests = intFlag('requests', 1500);
const rounds = intFlag('rounds', 4);
const connections = intFlag('connections', 50);
// A Next request under load can take seconds behind 49 others: autocannon's default 10 s timeout is too short.
const load = (port, amount) => autocannon({ url: `http://127.0.0.1:${port}/`, connections, amount, timeout: 120 });

console.log(`node ${process.version}, ${connections} connections, ${requests} requests per variant and round, side by side`);
console.log('| framework | round | bare µs CPU/request | draingate µs CPU/request | ratio |');
console.log('|---|---:|---:|---:|---:|');
for (const framework of frameworks) {
  const ratios = [];
  for (let round = 1; round <= rounds; round++) {
    // Next logs to stderr while it starts (the port is stdout's first line) and takes seconds to prepare.
    const options = { stderr: 'ignore', startMs: 120_000 };
    const servers = await Promise.all([startServer(framework, 'bare', 'on', options), startServer(framework, 'draingate', 'on', options)]);
    try {
      await Promise.all(servers.map((s) => load(s.port, Math.ceil(requests / 2))));
      const before = await Promise.all(servers.map((s) => cpuOf(s.child)));
      const results = await Promise.all(servers.map((s) => load(s.port, requests)));
      const after = await Promise.all(servers.map((s) => cpuOf(s.child)));
      for (const r of results) if (r.non2xx || r.errors) throw new Error(`${framework}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const [bare, gated] = results.map((r, i) => (after[i] - before[i]) / r['2xx']);
      ratios.push(gated / bare);
      console.log(
        `| ${FRAMEWORK_NAMES[framework]} | ${round} | ${Math.round(bare)} | ${Math.round(gated)} | ${(gated / bare).toFixed(3)} |`,
      );
    } finally {
      for (const s of servers) s.child.kill('SIGKILL');
    }
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(
    `${FRAMEWORK_NAMES[framework]}: median ratio ${median(ratios).toFixed(3)} (${sorted[0].toFixed(3)}–${sorted.at(-1).toFixed(3)})`,
  );
}
