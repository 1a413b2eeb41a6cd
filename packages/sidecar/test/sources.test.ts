import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate } from '@draingate/core';
import { freePort } from '@draingate/testkit/k8s';
import { describe, expect, it } from 'vitest';
import { useCluster } from './helpers/cluster.js';
import { condition, GATE, readPod, waitFor, waitForGate, writeConditions } from './helpers/pods.js';
import { memoryLogger, podEvents, prestop, TG1 } from './helpers/sidecar.js';

// The albc and app sources, and fail-open, against a real kube-apiserver.
const cluster = useCluster({ elb: true });

const ALBC = 'target-health.elbv2.k8s.aws/k8s-web-web-0123456789';

describe('albc source', () => {
  it("mirrors the AWS Load Balancer Controller's conditions with zero AWS calls; preStop uses the fixed delay", async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'albc';
    const callsBefore = elb.calls.length;
    const { sidecar } = await cluster.podWithSidecar(ns, ['--source=albc', '--fallback-delay=1s'], { pod: { extraGates: [ALBC] } });
    const first = await waitForGate(kc, ns, 'web', 'gate False', () => true);
    expect(first).toMatchObject({ status: 'False', reason: 'TargetNotRegistered' });
    await writeConditions(kc, ns, 'web', [{ type: ALBC, status: 'False', reason: 'Elb.InitialHealthChecking' }]);
    await waitForGate(kc, ns, 'web', 'TargetNotHealthy', (c) => c.reason === 'TargetNotHealthy');
    await writeConditions(kc, ns, 'web', [{ type: ALBC, status: 'True', reason: 'Elb.RegistrationCompleted' }]);
    const c = await waitForGate(kc, ns, 'web', 'gate True', (x) => x.status === 'True');
    expect(c.message).toBe('1/1 AWS Load Balancer Controller target-health conditions True');
    expect(sidecar.status().targets).toMatchObject([{ targetGroupArn: 'k8s-web-web-0123456789', state: 'healthy' }]);
    expect(sidecar.status().evidenceAvailable).toBe(false);
    const r = await prestop(sidecar);
    expect(r.body.ended).toBe('fallback-delay');
    expect(r.body.waitedMs).toBeGreaterThanOrEqual(950);
    expect(elb.calls.length).toBe(callsBefore);
    const reasons = (await podEvents(kc, ns, 'web')).map((e) => e.reason).sort();
    expect(reasons).toEqual(['TargetHealthy', 'TargetRegistered']);
  }, 60_000);
});

describe('app source', () => {
  it('turns True after healthyThreshold LB health checks seen by core; deregistered after core answered unhealthyThreshold failing ones', async () => {
    const kc = cluster.admin();
    const ns = 'app';
    const managementPort = await freePort();
    const gate = createGate({
      signals: false,
      exit: false,
      logger: false,
      metrics: false,
      minDelay: '100ms',
      maxDelay: '20s',
      managementPort,
      managementHost: '127.0.0.1',
      lbHealthCheck: { unhealthyThreshold: 2 },
    });
    const server = http.createServer((_req, res) => res.end('ok'));
    gate.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await gate.ready();
    cluster.defer(async () => {
      await gate.dispose();
      server.closeAllConnections();
      server.close();
    });
    const port = (server.address() as AddressInfo).port;
    const healthCheck = async (): Promise<number> =>
      (await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { 'user-agent': 'ELB-HealthChecker/2.0' } })).status;

    const { sidecar } = await cluster.podWithSidecar(ns, [
      '--source=app',
      `--app-status-url=http://127.0.0.1:${managementPort}/status`,
      '--healthy-threshold=3',
    ]);
    await waitForGate(kc, ns, 'web', 'gate False (no check seen)', (c) => c.reason === 'TargetNotRegistered');
    expect(await healthCheck()).toBe(200);
    expect(await healthCheck()).toBe(200);
    await waitFor('two checks seen', () => sidecar.status().detail?.startsWith('0/1 health-check sources saw 3'));
    expect(condition(await readPod(kc, ns, 'web'), GATE)?.status).toBe('False');
    expect(await healthCheck()).toBe(200);
    const c = await waitForGate(kc, ns, 'web', 'gate True', (x) => x.status === 'True');
    expect(c.message).toBe('1/1 health-check sources saw 3 passing checks');

    // Draining: the app answers the LB's checks with 503; after 2 of them the LB has taken the target out.
    const answer = prestop(sidecar);
    const drained = gate.shutdown('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(sidecar.status().deregistered).toBe(false);
    expect(await healthCheck()).toBe(503);
    expect(await healthCheck()).toBe(503);
    expect((await answer).body.ended).toBe('deregistered');
    expect(sidecar.status().deregistered).toBe(true);
    await drained;
  }, 60_000);
});

describe('fail-open', () => {
  it('is off by default; when set, turns the gate True after the timeout with a Warning event and a loud log line', async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'failopen';
    elb.set(TG1, '10.0.0.77', 8080, 'initial');
    const log = memoryLogger();
    const { sidecar } = await cluster.podWithSidecar(ns, [...cluster.awsFlags(TG1), '--fail-open-after=1500ms'], {
      ip: '10.0.0.77',
      logger: log,
    });
    expect(log.lines.some((l) => l.includes('fail-open is ON'))).toBe(true);
    await waitForGate(kc, ns, 'web', 'gate False', (c) => c.status === 'False');
    const c = await waitForGate(kc, ns, 'web', 'gate FailOpen', (x) => x.reason === 'FailOpen');
    expect(c.status).toBe('True');
    expect(c.message).toMatch(/after 1\.5s; gate set True by --fail-open-after/);
    // The sidecar's status shows the condition as its pod watch last saw it: that watch event may come after ours.
    await waitFor('the sidecar sees its FailOpen write', () => sidecar.status().gate.reason === 'FailOpen');
    expect(sidecar.status().gate).toMatchObject({ status: 'True', reason: 'FailOpen' });
    expect(log.lines.some((l) => l.includes('"level":"warn"') && l.includes('FAIL-OPEN'))).toBe(true);
    const ev = await waitFor('FailOpen event', async () => (await podEvents(kc, ns, 'web')).find((e) => e.reason === 'FailOpen'));
    expect(ev.type).toBe('Warning');
    // Steady state after fail-open: no more DescribeTargetHealth.
    const n = elb.describeCalls().length;
    await new Promise((r) => setTimeout(r, 800));
    expect(elb.describeCalls().length).toBe(n);
  }, 60_000);
});

describe('--app-drain-budget against the pod', () => {
  it('warns at start when the budget leaves no time to wait (terminationGracePeriodSeconds not above it)', async () => {
    const log = memoryLogger();
    const { sidecar } = await cluster.podWithSidecar('budget', ['--source=albc', '--app-drain-budget=10s'], {
      pod: { grace: 10 },
      logger: log,
    });
    const line = await waitFor('the warning', () =>
      log.lines.find((l) => l.includes('"level":"warn"') && l.includes('terminationGracePeriodSeconds')),
    );
    expect(line).toMatch(
      /--app-drain-budget \(10s\) is not below the pod's terminationGracePeriodSeconds \(10s\): \/v1\/prestop will answer at once/,
    );
    const p = await prestop(sidecar);
    expect(p.body.ended).toBe('deadline');
  }, 60_000);
});
