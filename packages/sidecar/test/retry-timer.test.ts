import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetryTimer } from '../src/internal/retry-timer.js';

// The one "not before" helper: a failure's floor (backoff, Retry-After) holds against every event that asks for a run.
describe('RetryTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-21T10:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A timer whose backoff jitter is 1 (steps of exactly base × 2ⁿ), and the times (ms since start) it ran. */
  function timer(options: { baseMs?: number; maxMs?: number } = {}): { t: RetryTimer; runs: number[] } {
    const start = Date.now();
    const runs: number[] = [];
    const t = new RetryTimer(() => runs.push(Date.now() - start), {
      baseMs: options.baseMs ?? 1000,
      maxMs: options.maxMs ?? 60_000,
      random: () => 1,
    });
    return { t, runs };
  }

  it('without a floor, runSoon runs at once and pulls in a scheduled run (which then does not run again)', () => {
    const { t, runs } = timer();
    t.runSoon();
    expect(runs).toEqual([0]);
    t.runIn(5000);
    expect(t.due).toBe(Date.now() + 5000);
    vi.advanceTimersByTime(1000);
    t.runSoon();
    expect(runs).toEqual([0, 1000]);
    expect(t.due).toBeNull();
    vi.advanceTimersByTime(10_000);
    expect(runs).toEqual([0, 1000]);
  });

  it('runIn replaces the scheduled run', () => {
    const { t, runs } = timer();
    t.runIn(5000);
    t.runIn(2000);
    vi.advanceTimersByTime(10_000);
    expect(runs).toEqual([2000]);
  });

  it('after a failure nothing runs before the floor: not runSoon (however often), not a shorter runIn; then exactly once', () => {
    const { t, runs } = timer();
    expect(t.backOff()).toBe(1000);
    expect(t.notBefore).toBe(Date.now() + 1000);
    for (let i = 0; i < 5; i++) {
      t.runSoon();
      vi.advanceTimersByTime(100);
    }
    t.runIn(10);
    expect(runs).toEqual([]);
    vi.advanceTimersByTime(499);
    expect(runs).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(runs).toEqual([1000]);
    vi.advanceTimersByTime(10_000);
    expect(runs).toEqual([1000]);
  });

  it('under a floor, runSoon pulls a later scheduled run in to the floor', () => {
    const { t, runs } = timer();
    t.backOff(); // floor at 1000, timer at 1000
    t.runIn(30_000); // a poll interval, later than the floor
    expect(t.due).toBe(Date.now() + 30_000);
    t.runSoon();
    expect(t.due).toBe(t.notBefore);
    vi.advanceTimersByTime(1000);
    expect(runs).toEqual([1000]);
  });

  it('the backoff doubles per failure up to its cap; reset starts it over and removes the floor', () => {
    const { t, runs } = timer({ baseMs: 500, maxMs: 3000 });
    expect([1, 2, 3, 4, 5].map(() => t.backOff())).toEqual([500, 1000, 2000, 3000, 3000]);
    expect(t.failures).toBe(5);
    t.reset();
    expect(t.failures).toBe(0);
    expect(t.notBefore).toBe(0);
    t.runSoon();
    expect(runs).toEqual([0]);
    expect(t.backOff()).toBe(500);
  });

  it("Retry-After wins over a shorter backoff and over atMostMs; atLeastMs and atMostMs bound the backoff's step", () => {
    const { t } = timer();
    expect(t.backOff(3000)).toBe(3000); // step 1000
    expect(t.backOff(500)).toBe(2000); // step 2000 > Retry-After
    const { t: u } = timer();
    expect(u.backOff(null, { atLeastMs: 5000 })).toBe(5000); // a poll interval above the step
    expect(u.backOff(null, { atMostMs: 1000 })).toBe(1000); // step 2000, capped (a watch that ended normally)
    expect(u.backOff(7000, { atMostMs: 1000 })).toBe(7000);
    expect(u.notBefore).toBe(Date.now() + 7000);
  });

  it('a failure sets the timer for the floor by itself: the task runs then without being asked', () => {
    const { t, runs } = timer();
    t.backOff(2500);
    vi.advanceTimersByTime(2500);
    expect(runs).toEqual([2500]);
  });

  it('cancel drops the scheduled run but keeps the floor; close stops everything for good', () => {
    const { t, runs } = timer();
    t.backOff();
    t.cancel();
    vi.advanceTimersByTime(5000);
    expect(runs).toEqual([]);
    t.backOff(); // floor 2000 from now
    t.close();
    t.runSoon();
    t.runIn(10);
    t.backOff();
    vi.advanceTimersByTime(60_000);
    expect(runs).toEqual([]);
    expect(t.due).toBeNull();
  });
});
