/** The README's first command runs this demo: it must keep showing what the README says it shows. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../../../examples/node-http/demo.mjs', import.meta.url));

describe('examples/node-http/demo.mjs', () => {
  it('shows the naive shutdown failing, a fixed sleep waiting, and draingate losing nothing and exiting first', {
    timeout: 90_000,
    // One retry: this drives an emulated LB with real timers on a shared 2-core machine and failed twice in ~10
    // runs under heavy load, cause not found yet (see the issue note). The deterministic draining and evidence
    // tests (drain-evidence.test.ts, the conformance suite) have no retries.
    retry: 1,
  }, async () => {
    const child = spawn(process.execPath, [demo], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    expect(code, out).toBe(0);
    const naive = /naive: server\.close\(\) on SIGTERM\s+(\d+)\s+(\d+)/.exec(out);
    const dg = /\n\s+draingate\s+(\d+)\s+(\d+)\s+100\.00 %\s+([\d.]+) s\s+0\s+(\S+)/.exec(out);
    expect(naive, out).not.toBeNull();
    expect(dg, out).not.toBeNull();
    const fixed = /fixed: sleep 5 s, then close\s+(\d+)\s+(\d+)\s+[\d.]+ %\s+([\d.]+) s/.exec(out);
    expect(fixed, out).not.toBeNull();
    expect(Number(fixed![2])).toBe(0); // a 5 s sleep covers this LB's 2.5 s lag...
    expect(Number(dg![3])).toBeLessThan(Number(fixed![3])); // ...but evidence lets draingate go sooner
    expect(Number(naive![2])).toBeGreaterThan(0); // the harness can still see failures
    // What the README claims for this demo; timing-exact evidence tests live in drain-evidence.test.ts (a starved
    // machine can push this emulated LB's health checks past maxDelay, so the kind is not asserted here).
    expect(Number(dg![1])).toBeGreaterThan(50);
    expect(Number(dg![2])).toBe(0);
    expect(Number(dg![3])).toBeLessThan(7);
    expect(['lb-health-checks', 'quiet-period', 'max-delay']).toContain(dg![4]);
    expect(out).toContain('draingate: 0 failed requests');
  });
});
