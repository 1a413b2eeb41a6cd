import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Draining, PHASE_TRANSITIONS, type Phase, type PhaseChange, PhaseMachine, type PhaseState } from '../src/internal/phases.js';

// The sidecar's phases for one pod: the transition table, and timers that belong to a phase.
const draining = (before: 'starting' | 'ready' = 'starting'): Draining => ({
  name: 'draining',
  startedAt: Date.now(),
  startedAtMs: performance.now(),
  trigger: 'prestop',
  before,
  signalled: false,
  goneSince: null,
  deregisteredAt: null,
});
const state = (to: Phase): PhaseState => (to === 'draining' ? draining() : { name: to });
/** A machine in phase `at`, reached by allowed transitions. */
function machineIn(at: Phase, onChange?: (c: PhaseChange) => void): PhaseMachine {
  const m = new PhaseMachine(onChange);
  if (at === 'ready') m.enter({ name: 'ready' }, 'test');
  if (at === 'draining') m.enter(draining(), 'test');
  return m;
}

describe('the transition table', () => {
  it('is exactly: starting → ready | draining, ready → draining, draining → back to starting | ready', () => {
    expect(PHASE_TRANSITIONS).toEqual({ starting: ['ready', 'draining'], ready: ['draining'], draining: ['starting', 'ready'] });
  });

  const phases: Phase[] = ['starting', 'ready', 'draining'];
  for (const from of phases) {
    for (const to of phases) {
      const allowed = PHASE_TRANSITIONS[from].includes(to);
      it(`${from} → ${to} ${allowed ? 'is allowed' : 'throws'}`, () => {
        const m = machineIn(from);
        expect(m.can(to)).toBe(allowed);
        if (allowed) {
          expect(m.enter(state(to), 'why')).toMatchObject({ from, to, reason: 'why' });
          expect(m.name).toBe(to);
        } else {
          expect(() => m.enter(state(to), 'why')).toThrow(`illegal phase change ${from} -> ${to} (why)`);
          expect(m.name).toBe(from);
        }
      });
    }
  }

  it('never from ready back to starting: the condition never goes back to False while the pod runs', () => {
    expect(machineIn('ready').can('starting')).toBe(false);
  });

  it('records each change, calls the listener once the new phase is in place, and refuses changes after close', () => {
    const seen: string[] = [];
    const m = new PhaseMachine((c) => seen.push(`${c.from}>${c.to}:${m.name}`));
    expect(m.name).toBe('starting');
    m.enter({ name: 'ready' }, 'target healthy');
    const d = draining('ready');
    m.enter(d, 'draining (deletion)');
    expect(m.draining).toBe(d);
    m.enter({ name: d.before }, 'stray prestop');
    expect(m.draining).toBeNull();
    expect(seen).toEqual(['starting>ready:ready', 'ready>draining:draining', 'draining>ready:ready']);
    expect(m.history.map((c) => c.reason)).toEqual(['target healthy', 'draining (deletion)', 'stray prestop']);
    m.close();
    expect(() => m.enter(draining('ready'), 'late')).toThrow(/after close/);
  });
});

describe('timers that belong to a phase', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('run in their phase; are cancelled by any change of phase (fail-open does not fire after draining began)', () => {
    const m = new PhaseMachine();
    const fired: string[] = [];
    m.after(1000, () => fired.push('fail-open'));
    m.after(300, () => fired.push('early'));
    vi.advanceTimersByTime(300);
    expect(fired).toEqual(['early']);
    expect(m.timers).toBe(1);
    m.enter(draining(), 'prestop');
    expect(m.timers).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(fired).toEqual(['early']);
  });

  it("a drain's data and its margin timer go with the drain: back in starting, nothing of it is left", () => {
    const m = new PhaseMachine();
    const d = draining();
    m.enter(d, 'prestop');
    d.goneSince = Date.now();
    let deregistered = false;
    m.after(5000, () => {
      deregistered = true;
    });
    m.enter({ name: d.before }, 'stray prestop');
    vi.advanceTimersByTime(10_000);
    expect(deregistered).toBe(false);
    m.enter(draining(), 'deletion');
    expect(m.draining).toMatchObject({ goneSince: null, deregisteredAt: null });
  });

  it('close cancels them and no new one starts', () => {
    const m = new PhaseMachine();
    const fired: number[] = [];
    m.after(100, () => fired.push(1));
    m.close();
    m.after(100, () => fired.push(2));
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
  });
});
