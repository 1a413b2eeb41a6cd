/**
 * The rollout e2e on the single-node model (one HAProxy is the whole LB: `lbModel: 'single'`): real HAProxy, real
 * pod processes, load through the load balancer. draingate's three adapters with their defaults must lose ZERO
 * requests; a naive adapter and a fixed 5 s preStop sleep must lose some (so the harness can still see failures,
 * and the 7 s lag really outlasts a 5 s wait). The multi-node ALB model is asserted in lb-model.test.ts.
 * Short runs (a few thousand requests each); the full matrix is `pnpm bench:rollout`.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findAdapters } from '../rollout/adapters/index.mjs';
import { assertHaproxy } from '../rollout/haproxy.mjs';
import { killActiveRuns, runScenario } from '../rollout/scenarios.mjs';

const RATE = 150;

beforeAll(async () => {
  await assertHaproxy(); // never skip: a missing HAProxy fails with "run ./run test (it installs it)"
});

// A test that timed out leaves its run going: kill its HAProxy and pods so the next test does not compete with them.
afterEach(() => killActiveRuns());

function explain(r: Awaited<ReturnType<typeof runScenario>>): string {
  const pods = r.pods.map(({ output, ...p }: { output: string }) => ({ ...p, output: output.slice(-1500) }));
  return JSON.stringify({ failures: r.failures, requests: r.requests, events: r.events, pods }, null, 2);
}

describe('rollout behind one HAProxy (single-node model)', () => {
  for (const name of ['draingate-node', 'draingate-express', 'draingate-fastify']) {
    it(`${name}: scale-in 3 → 1 with a 7 s deregistration lag loses no request`, { timeout: 90_000 }, async () => {
      const [adapter] = findAdapters([name]);
      const r = await runScenario({ lbModel: 'single', adapter, scenario: 'scale-in', lag: 7000, rate: RATE, minRequests: 0, tail: 2000 });
      expect(r.failed, explain(r)).toBe(0);
      expect(r.requests).toBeGreaterThan(1500);
      expect(r.pods).toHaveLength(2);
      for (const pod of r.pods) {
        expect(pod.exit, explain(r)).toBe(0);
        // Exits once the LB let go: well after SIGTERM, well before SIGKILL (generous: a shared 2-core machine).
        expect(pod.sigtermToExit).toBeGreaterThan(2000);
        expect(pod.sigtermToExit).toBeLessThan(7000 + 2000 + 5000);
      }
    });
  }

  it('draingate-node: a rolling update (2 replicas, maxSurge 1, lag 2 s) loses no request', { timeout: 120_000 }, async () => {
    const [adapter] = findAdapters(['draingate-node']);
    const r = await runScenario({
      lbModel: 'single',
      adapter,
      scenario: 'rollout',
      replicas: 2,
      lag: 2000,
      rate: RATE,
      minRequests: 0,
      tail: 2000,
    });
    expect(r.failed, explain(r)).toBe(0);
    expect(r.pods).toHaveLength(2);
    for (const pod of r.pods) expect(pod.exit, explain(r)).toBe(0);
    expect(r.events.filter((e: { text: string }) => e.text.endsWith(' Ready'))).toHaveLength(2);
  });

  it('express without shutdown handling loses requests in the same scale-in (the harness sees failures)', { timeout: 90_000 }, async () => {
    const [adapter] = findAdapters(['express-bare']);
    const r = await runScenario({ lbModel: 'single', adapter, scenario: 'scale-in', lag: 7000, rate: RATE, minRequests: 0, tail: 2000 });
    expect(r.failed, explain(r)).toBeGreaterThan(50);
    expect(
      Object.keys(r.failures).some((k) => k.startsWith('HTTP 5')),
      explain(r),
    ).toBe(true);
  });

  it('a fixed 5 s preStop sleep loses requests when the lag is 7 s', { timeout: 90_000 }, async () => {
    const [adapter] = findAdapters(['prestop-sleep-5s']);
    const r = await runScenario({
      lbModel: 'single',
      adapter,
      scenario: 'scale-in',
      lag: 7000,
      rate: RATE,
      minRequests: 0,
      tail: 2000,
      exitWait: 12_000, // server.close() then waits for HAProxy's idle connections until SIGKILL: not the point here
    });
    expect(r.failed, explain(r)).toBeGreaterThan(10);
  });
});
