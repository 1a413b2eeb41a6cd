/**
 * The short version of `pnpm bench:scale` (issue 14) for CI: a 100-replica Deployment rolled with maxSurge 25 % on a
 * real kube-apiserver + etcd + kube-controller-manager, the simulated kubelet, the emulated AWS Load Balancer
 * Controller and the fake ELBv2 with the account's Describe* bucket (40, 10/s) and moving targets; two real
 * draingate-controller processes, the leader SIGKILLed mid-rollout. Every check of the full benchmark must hold.
 */
import { describe, expect, it } from 'vitest';
import { checks, table } from '../scale/report.mjs';
import { runScale } from '../scale/scenario.mjs';

describe('scale (short): 100 pods in controller mode, leader killed mid-rollout', () => {
  it('completes with 0 throttled calls, ≤ 2 calls/s per target group, gates True within a check interval + 2 s, no False after True, evidence within every grace period, a follower took over', {
    timeout: 300_000,
  }, async () => {
    const lines: string[] = [];
    const options = {
      pods: 100,
      sidecars: 0,
      killLeader: true,
      hcIntervalMs: 10_000,
      deregistrationDelayMs: 30_000,
      graceSeconds: 60,
      terminationDelayMs: 40_000,
      pollInterval: '2s',
      lease: { duration: '6s', renewDeadline: '4s', retryPeriod: '1s' },
      albcLagMs: 1000,
      nodes: 4,
      timeoutMs: 180_000,
      log: (line: string) => lines.push(line),
    };
    const result = await runScale(options);
    const c = result.controller;
    const list = checks(result, options);
    const explain = `${table(result).text}\n${lines.join('\n')}`;
    expect(
      list.filter((k) => !k.ok).map((k) => k.what),
      explain,
    ).toEqual([]);
    expect(c.pods).toBe(100);
    expect(c.calls, explain).toBeGreaterThan(0);
    expect(c.throttled).toBe(0);
    expect(c.kill?.newLeader, explain).not.toBe(c.kill?.identity);
    expect(c.withinGrace.of, explain).toBe(100);
    // The apps' side: deleted pods asked the replicas for their status during the rollout, followers answered too.
    expect(c.served.errors, explain).toBe(0);
    expect(c.served.deregisteredSeen, explain).toBe(c.served.sampled);
  });
});
