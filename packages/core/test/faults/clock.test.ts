/**
 * Fault: the wall clock jumps by an hour (NTP stepping, an operator) while the pod shuts down. This machine's clock
 * cannot be moved here, so a forked fixture runs with a preload that moves `Date.now()`/`new Date()` on demand while
 * `performance.now()` and timers keep real time. Durations must use the monotonic clock: the jump may change the
 * timestamps shown, never how long anything waits.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';

const fixtures = new URL('./fixtures/', import.meta.url);
const script = fileURLToPath(new URL('clock-server.mjs', fixtures));
const preload = pathToFileURL(fileURLToPath(new URL('clock-jump.mjs', fixtures))).href;
const HOUR = 3_600_000;

const children: { kill(signal: string): void }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function sigterm(jumpMs: number, jumpOn: 'draining' | 'hook', boundMs: number) {
  const f = await fork(script, {
    NODE_OPTIONS: `--import=${preload}`,
    CLOCK_JUMP_MS: String(jumpMs),
    JUMP_ON: jumpOn,
    DRAINGATE_MIN_DELAY: '200ms',
    DRAINGATE_MAX_DELAY: '1s',
    DRAINGATE_HOOKS_TIMEOUT: '3s',
    DRAINGATE_GRACE_PERIOD: '15s',
  });
  children.push(f.child as never);
  const t0 = performance.now();
  f.child.kill('SIGTERM');
  const exited = await Promise.race([f.exited, new Promise<null>((r) => setTimeout(() => r(null), boundMs))]);
  const elapsedMs = performance.now() - t0;
  const stopped = f.events.find((e) => e.event === 'stopped') as
    | { evidence: { kind: string; afterMs: number }; failedHooks: string[]; phases: Record<string, number> }
    | undefined;
  return { f, exited, elapsedMs, stopped, hooks: f.events.filter((e) => e.event === 'hook').map((e) => e.name) };
}

describe.each([
  ['+1 h', HOUR],
  ['-1 h', -HOUR],
])('fault: the wall clock jumps %s', (_, jumpMs) => {
  it('inside a shutdown hook: every hook still gets its turn and its share, exit 0', async () => {
    const { exited, stopped, hooks, f } = await sigterm(jumpMs, 'hook', 10_000);
    expect(f.events.some((e) => e.event === 'clock-jumped')).toBe(true);
    expect(exited?.code).toBe(0);
    expect(hooks).toEqual(['telemetry', 'queue', 'db-pool']);
    expect(stopped?.failedHooks).toEqual([]);
    expect(stopped?.phases.hooks).toBeLessThan(1000);
    expect(stopped?.phases.stopping).toBeLessThan(1000);
  });

  // Draining's durations (drain watch, evidence, request and health-check timestamps) use util.ts's monotonicNow():
  // a jump of +1 h must not end draining at once, and -1 h must not hold it until the grace period's SIGKILL.
  it('as draining begins: draining still lasts maxDelay (1s), then the process exits 0', async () => {
    const { exited, elapsedMs, stopped, f } = await sigterm(jumpMs, 'draining', 6000);
    expect(f.events.some((e) => e.event === 'clock-jumped')).toBe(true);
    expect(exited?.code).toBe(0);
    expect(stopped?.evidence.kind).toBe('max-delay');
    expect(stopped?.evidence.afterMs).toBeGreaterThanOrEqual(990);
    expect(stopped?.evidence.afterMs).toBeLessThan(2000);
    expect(elapsedMs).toBeGreaterThanOrEqual(990);
  });
});
