// Processes of the benchmark (controller replicas, per-pod sidecars): spawned with their log in a file, and sampled
// from /proc every second for RSS and CPU time, as `ps` would report them.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';

const TICK = 100; // clock ticks per second (getconf CLK_TCK on Linux)

export class Proc {
  constructor(name, script, args, env, logFile) {
    this.name = name;
    const out = openSync(logFile, 'a');
    this.child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', out, out] });
    this.startedAt = Date.now();
    this.peakRssBytes = 0;
    this.samples = [];
    this.exited = new Promise((r) => this.child.once('exit', r));
  }

  get pid() {
    return this.child.pid;
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** RSS (bytes) and CPU seconds (user + system) now, or null once gone. */
  sample() {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(fields[11]) + Number(fields[12])) / TICK;
      const s = { at: Date.now(), rss, cpu };
      this.samples.push(s);
      if (rss > this.peakRssBytes) this.peakRssBytes = rss;
      return s;
    } catch {
      return null;
    }
  }

  /** CPU seconds used between two moments (from the samples), and the share of one core. */
  cpuBetween(from, to) {
    const inside = this.samples.filter((s) => s.at >= from && s.at <= to);
    if (inside.length < 2) return { seconds: 0, share: 0 };
    const a = inside[0];
    const b = inside.at(-1);
    const seconds = b.cpu - a.cpu;
    return { seconds, share: seconds / ((b.at - a.at) / 1000) };
  }

  kill(signal = 'SIGTERM') {
    if (this.alive) this.child.kill(signal);
    return this.exited;
  }
}

/** Samples every process every second until stopped. */
export function sampleEverySecond(procs) {
  const t = setInterval(() => {
    for (const p of procs()) if (p.alive) p.sample();
  }, 1000);
  return () => clearInterval(t);
}
