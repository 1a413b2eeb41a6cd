import { describe, expect, it } from 'vitest';
import { evaluateEvidence } from '../src/internal/evidence.js';
import { isLbSourceLive, LbHealthChecks } from '../src/internal/lb-health-checks.js';
import { TrafficRate } from '../src/internal/traffic.js';
import { EVIDENCE_BASE, legacySidecar, nodesStopped, sidecarSays } from './helpers/evidence.js';

const base = EVIDENCE_BASE;

describe('evaluateEvidence', () => {
  it('never ends before minDelay, even with strong evidence', () => {
    const strong = { nodes: nodesStopped(0, 'lb-health-checks'), sidecar: legacySidecar(true) };
    expect(evaluateEvidence({ ...base, now: 999, ...strong })).toBeNull();
    expect(evaluateEvidence({ ...base, now: 1000, sidecar: legacySidecar(true) })?.kind).toBe('sidecar');
  });

  it('always ends at maxDelay', () => {
    expect(evaluateEvidence({ ...base, now: 9999 })).toBeNull();
    expect(evaluateEvidence({ ...base, now: 10_000 })).toMatchObject({ kind: 'max-delay', strength: 'none', afterMs: 10_000 });
  });

  it("ranks sidecar over LB health checks over a node's silence over fixed delay", () => {
    const all = { ...base, now: 5000, sidecar: legacySidecar(true), nodes: nodesStopped(1000, 'lb-health-checks'), delay: 2000 };
    expect(evaluateEvidence(all)?.kind).toBe('sidecar');
    expect(evaluateEvidence({ ...all, sidecar: null })?.kind).toBe('lb-health-checks');
    expect(evaluateEvidence({ ...all, sidecar: null, nodes: nodesStopped(1000, 'quiet-period') })).toMatchObject({
      kind: 'quiet-period',
      strength: 'weak',
    });
    expect(evaluateEvidence({ ...all, sidecar: null, nodes: base.nodes })?.kind).toBe('fixed-delay');
  });

  it('waits for the moment the last node counts as stopped (margins are in it)', () => {
    expect(evaluateEvidence({ ...base, now: 3099, nodes: nodesStopped(3100, 'lb-health-checks') })).toBeNull();
    expect(evaluateEvidence({ ...base, now: 3100, nodes: nodesStopped(3100, 'lb-health-checks') })?.kind).toBe('lb-health-checks');
  });

  it('API draining (sidecar) and every node silent: strong; API draining alone only after the propagation bound', () => {
    const quiet = { ...base, now: 5000, nodes: nodesStopped(4000, 'quiet-period') };
    const combined = evaluateEvidence({ ...quiet, sidecar: sidecarSays(2000) });
    expect(combined).toMatchObject({ kind: 'sidecar', strength: 'strong' });
    expect(combined?.detail).toMatch(/the API shows the target draining since .* and every LB node and peer that routed here has stopped/);
    // Routing not known to have stopped: the API alone counts once the sidecar says its bound has passed.
    expect(evaluateEvidence({ ...base, now: 31_999, maxDelay: 60_000, sidecar: sidecarSays(2000) })).toBeNull();
    expect(evaluateEvidence({ ...base, now: 32_000, maxDelay: 60_000, sidecar: sidecarSays(2000, { deregistered: true }) })).toMatchObject({
      kind: 'sidecar',
      detail: expect.stringMatching(/the 30s propagation bound has passed since/),
    });
  });

  it('silence is a coincidence while a sidecar that sees the API says deregistration has not started', () => {
    const quiet = { ...base, now: 5000, nodes: nodesStopped(4000, 'quiet-period') };
    expect(evaluateEvidence({ ...quiet, sidecar: sidecarSays(null) })).toBeNull();
    expect(evaluateEvidence({ ...quiet, nodes: nodesStopped(4000, 'lb-health-checks-stopped'), sidecar: sidecarSays(null) })).toBeNull();
    // The LB's own verdict (every node failed our checks) does not wait for the API.
    expect(evaluateEvidence({ ...quiet, nodes: nodesStopped(4000, 'lb-health-checks'), sidecar: sidecarSays(null) })?.kind).toBe(
      'lb-health-checks',
    );
    // A sidecar that cannot see the API (app/albc source, AccessDenied, failing) leaves the app's own evidence be.
    expect(evaluateEvidence({ ...quiet, sidecar: sidecarSays(null, { observable: false }) })?.kind).toBe('quiet-period');
    expect(evaluateEvidence({ ...quiet, sidecar: legacySidecar(false) })?.kind).toBe('quiet-period');
  });
});

describe('LbHealthChecks', () => {
  it('needs the threshold of failures from every source that is still checking', () => {
    const lb = new LbHealthChecks(2);
    lb.record('10.0.0.1', true, 0, false);
    lb.record('10.0.0.2', true, 0, false);
    lb.record('10.0.0.1', false, 1000, true);
    lb.record('10.0.0.1', false, 2000, true);
    expect(lb.unhealthy(2000)).toBeNull(); // 10.0.0.2 has not failed yet
    lb.record('10.0.0.2', false, 2500, true);
    expect(lb.unhealthy(2500)).toBeNull();
    lb.record('10.0.0.2', false, 3000, true);
    lb.record('10.0.0.1', false, 3000, true); // a third failure does not move the moment it reached 2
    expect(lb.unhealthy(3000)).toEqual({ since: 3000, detail: expect.stringMatching(/2 health-check source/) });
    expect(lb.pass).toBe(2);
    expect(lb.fail).toBe(5);
  });

  it('forgets a source that stopped checking (an LB node replaced)', () => {
    const lb = new LbHealthChecks(2);
    for (let t = 0; t <= 4000; t += 1000) lb.record('gone', true, t, false);
    lb.record('live', false, 20_000, true);
    lb.record('live', false, 21_000, true);
    // "gone" checked every 1 s and was last seen 17 s ago: no longer counted.
    expect(lb.unhealthy(21_000)?.detail).toMatch(/1 health-check source/);
  });

  it('keeps a source that reached the threshold even when it stops checking the draining target', () => {
    const lb = new LbHealthChecks(2);
    lb.record('a', false, 1000, true);
    lb.record('a', false, 2000, true);
    expect(lb.unhealthy(60_000)).toEqual({ since: 2000, detail: expect.any(String) });
  });

  it('does not count failures answered before draining', () => {
    const lb = new LbHealthChecks(2);
    lb.record('a', false, 0, false);
    lb.record('a', false, 1000, false);
    expect(lb.unhealthy(1000)).toBeNull();
  });

  it('reports each source as JSON that the source-liveness rule reads back (what the sidecar app source consumes)', () => {
    const lb = new LbHealthChecks(2);
    for (let t = 0; t <= 20_000; t += 5000) lb.record('10.0.0.1 app:8080 /readyz', true, t, false);
    lb.record('10.0.0.2 app:8080 /readyz', true, 20_000, false);
    const report = lb.toJSON();
    expect(report).toEqual({
      pass: 6,
      fail: 0,
      sources: {
        '10.0.0.1 app:8080 /readyz': {
          pass: 5,
          fail: 0,
          failSinceDraining: 0,
          lastAt: new Date(20_000).toISOString(),
          intervalMs: 5000,
          regular: true,
          checksBeforeDraining: 5,
        },
        '10.0.0.2 app:8080 /readyz': {
          pass: 1,
          fail: 0,
          failSinceDraining: 0,
          lastAt: new Date(20_000).toISOString(),
          intervalMs: null,
          regular: false,
          checksBeforeDraining: 1,
        },
      },
    });
    // Read back from the report as the sidecar does, the rule agrees with the gate's own view at every moment.
    for (const now of [30_000, 35_000, 35_001, 40_000]) {
      const live = Object.entries(report.sources)
        .filter(([, s]) => isLbSourceLive(Date.parse(s.lastAt ?? ''), s.intervalMs, now))
        .map(([k]) => k);
      expect(live).toEqual(lb.active(now).map(([k]) => k));
    }
  });
});

describe('isLbSourceLive', () => {
  it('counts a source as checking while seen within 3 of its intervals, and at least 10 s', () => {
    expect(isLbSourceLive(0, 5000, 15_000)).toBe(true);
    expect(isLbSourceLive(0, 5000, 15_001)).toBe(false);
    expect(isLbSourceLive(0, 1000, 10_000)).toBe(true); // 3 intervals is 3 s: the 10 s floor applies
    expect(isLbSourceLive(0, 1000, 10_001)).toBe(false);
    expect(isLbSourceLive(0, 30_000, 90_000)).toBe(true);
    expect(isLbSourceLive(0, 30_000, 90_001)).toBe(false);
  });

  it('assumes a 10 s interval before the second check, and never counts an unknown last check', () => {
    expect(isLbSourceLive(0, null, 30_000)).toBe(true);
    expect(isLbSourceLive(0, null, 30_001)).toBe(false);
    expect(isLbSourceLive(Number.NaN, 5000, 0)).toBe(false);
  });
});

describe('TrafficRate', () => {
  it('measures rate and steadiness over complete seconds before now', () => {
    const t = new TrafficRate();
    for (let i = 0; i < 100; i++) t.record(1_000_000 + i * 100); // 10 req/s for 10 s
    const s = t.snapshot(1_010_000);
    expect(s.spanSeconds).toBe(10);
    expect(s.rate).toBe(10);
    expect(s.steadiness).toBe(1);
    expect(t.snapshot(1_090_000).rate).toBe(0); // the window has moved past every request
    expect(t.lastRequestAt).toBe(1_000_000 + 9900);
  });

  it('scores a burst as unsteady', () => {
    const t = new TrafficRate();
    for (let i = 0; i < 300; i++) t.record(1_000_000 + i); // 300 requests within one second
    const s = t.snapshot(1_020_000);
    expect(s.rate).toBe(15);
    expect(s.steadiness).toBe(0.05);
  });
});
