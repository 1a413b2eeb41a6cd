/** The README's first command runs bench/demo/demo.mjs: it must keep showing what the README says. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../demo/demo.mjs', import.meta.url));

function row(out: string, label: string): { requests: number; failed: number } | null {
  const m = new RegExp(
    `\\| ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\| rollout\\s*\\|\\s*2 s \\|\\s*(\\d+) \\|\\s*(\\d+) \\|`,
  ).exec(out);
  return m ? { requests: Number(m[1]), failed: Number(m[2]) } : null;
}

describe('bench/demo/demo.mjs', () => {
  it('shows server.close() and a fixed 5 s wait losing requests, draingate none, and writes the chart', {
    timeout: 150_000,
    // One retry at most: three rollouts with real timers at once on a shared 2-core machine. The claims themselves
    // are also asserted, without retries, by rollout.test.ts.
    retry: 1,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'draingate-demo-test-'));
    try {
      const chart = join(dir, 'chart.svg');
      const child = spawn(process.execPath, [demo, '--chart', chart], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        out += d;
      });
      // Too slow: SIGTERM first (the demo then kills its HAProxy and pods, which a SIGKILL would leave running).
      const timer = setTimeout(() => child.kill('SIGTERM'), 135_000);
      const killer = setTimeout(() => child.kill('SIGKILL'), 140_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      clearTimeout(timer);
      clearTimeout(killer);
      expect(code, out).toBe(0);

      const naive = row(out, 'server.close() on SIGTERM');
      const fixed = row(out, 'wait 5 s, then close');
      const dg = row(out, 'draingate (defaults)');
      expect(naive, out).not.toBeNull();
      expect(fixed, out).not.toBeNull();
      expect(dg, out).not.toBeNull();
      expect(naive!.failed, out).toBeGreaterThan(0);
      expect(fixed!.failed, out).toBeGreaterThan(0); // the ALB model's nodes take 3–17 s after a 2 s lag to let go
      expect(dg!.failed, out).toBe(0);
      expect(dg!.requests).toBeGreaterThan(3000);
      expect(out).toContain('draingate: 0 failed requests');
      expect(out).toMatch(/^\s+\d+s\s+\d+\s+\d+/m); // the per-second timeline
      expect(out).toContain(`chart: ${chart}`);

      const svg = readFileSync(chart, 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      // Well-formed enough for a browser: every element either self-closes or is closed, text is escaped.
      const opened = [...svg.matchAll(/<(\w+)[^>]*?(\/?)>/g)].filter((m) => m[2] !== '/').map((m) => m[1]);
      const closed = [...svg.matchAll(/<\/(\w+)>/g)].map((m) => m[1]);
      expect(closed.sort()).toEqual(opened.sort());
      expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
      for (const label of ['server.close() on SIGTERM', 'wait 5 s, then close', 'draingate (defaults)']) expect(svg).toContain(label);
      expect(svg).toContain('fill="#2ca02c"'); // ok bars
      expect(svg).toContain('HTTP 503'); // failure bars of the naive runs
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
