import { checkSidecarStatus } from '@draingate/core/internal';
import { ACCESS_DENIED, THROTTLING } from '@draingate/testkit/elbv2';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { SidecarStatusBody } from '../src/internal/status.js';
import { serviceAndBinding, useCluster } from './helpers/cluster.js';
import { GATE, waitFor, waitForGate, writeConditions } from './helpers/pods.js';
import { getJson, memoryLogger, podEvents, prestop, TG1, TG2, waitForEvents } from './helpers/sidecar.js';

// The aws source end to end: real kube-apiserver, the real AWS SDK against a fake ELBv2 Query/XML endpoint.
const cluster = useCluster({ elb: true, targetGroupBindings: true });

describe('aws source', () => {
  it('gate True only once the target is healthy; zero calls in steady state; preStop answers once draining + the propagation bound; events', async () => {
    const { elb } = cluster;
    const allCallsBefore = elb.calls.length;
    const kc = cluster.admin();
    const ns = 'aws-life';
    await serviceAndBinding(kc, ns, 'web', TG1, { targetPort: 'http', targetType: 'ip' });
    elb.set(TG1, '10.0.0.5', 8080, 'initial');
    const { sidecar } = await cluster.podWithSidecar(ns, cluster.awsFlags(), {
      pod: { nodeName: 'node-1', ports: [{ name: 'http', containerPort: 8080 }] },
    });

    // Not healthy yet: the gate is written False with the LB's reason.
    const notYet = await waitForGate(kc, ns, 'web', 'gate False', () => true);
    expect(notYet).toMatchObject({ status: 'False', reason: 'TargetNotHealthy' });
    expect(notYet.message).toContain('Elb.InitialHealthChecking');
    const call = elb.describeCalls().at(-1);
    expect(call?.targetGroupArn).toBe(TG1);
    expect(call?.targets).toEqual([{ id: '10.0.0.5', port: 8080 }]); // podIP + the Service's named targetPort
    expect(call?.authorization).toMatch(/Credential=AKIDTEST000000000000\/\d{8}\/eu-west-1\/elasticloadbalancing\/aws4_request/);

    elb.set(TG1, '10.0.0.5', 8080, 'healthy');
    const ready = await waitForGate(kc, ns, 'web', 'gate True', (c) => c.status === 'True');
    expect(ready).toMatchObject({ reason: 'TargetHealthy', message: 'healthy in 1/1 target groups' });

    // Steady state: no DescribeTargetHealth at all.
    const callsWhenReady = elb.describeCalls().length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(elb.describeCalls().length).toBe(callsWhenReady);

    // Deletion: preStop blocks until the LB drains the target, then the propagation bound.
    const t0 = Date.now();
    const answer = prestop(sidecar);
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web', namespace: ns, gracePeriodSeconds: 60 });
    await new Promise((r) => setTimeout(r, 800));
    const mid = (await getJson<SidecarStatusBody>(`${sidecar.url}/v1/status`)).body;
    expect(checkSidecarStatus(mid)).toBeNull(); // what core accepts, checked by core itself
    expect(mid).toMatchObject({ phase: 'draining', deregistered: false });
    // The target group's protocol (HTTP) told the type; --propagation-bound 300ms (the test helper) overrides its bound.
    expect(mid.deregistration).toEqual({ observable: true, startedAt: null, lbType: 'alb', propagationBoundMs: 300 });
    elb.set(TG1, '10.0.0.5', 8080, 'draining');
    const drainingAt = Date.now();
    const r = await answer;
    expect(r.status).toBe(200);
    expect(r.body.ended).toBe('deregistered');
    expect(Date.now() - drainingAt).toBeGreaterThanOrEqual(300); // the propagation bound
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1100);

    const st = (await getJson<SidecarStatusBody>(`${sidecar.url}/v1/status`)).body;
    expect(checkSidecarStatus(st)).toBeNull();
    expect(st).toMatchObject({ apiVersion: 'draingate.io/v1', source: 'aws', deregistered: true });
    // Deregistration started when the API first showed the target draining: the bound counts from there.
    const startedAt = Date.parse(st.deregistration.startedAt as string);
    expect(startedAt).toBeGreaterThanOrEqual(Math.floor(drainingAt / 1000) * 1000);
    // deregisteredAt is to the second (RFC 3339 as Kubernetes writes it); startedAt to the millisecond.
    expect(Date.parse(st.deregisteredAt as string)).toBeGreaterThanOrEqual(Math.floor((startedAt + 300) / 1000) * 1000);
    expect(st.gate).toMatchObject({ conditionType: GATE, status: 'True', reason: 'TargetHealthy' });
    expect(st.targets).toEqual([
      { targetGroupArn: TG1, id: '10.0.0.5', port: 8080, state: 'draining', reason: 'Target.DeregistrationInProgress', description: null },
    ]);
    // Polling stops once the target is gone.
    const callsAfter = elb.describeCalls().length;
    await new Promise((r) => setTimeout(r, 800));
    expect(elb.describeCalls().length).toBe(callsAfter);
    const reasons = (await waitForEvents(kc, ns, 'web', 4)).map((e) => e.reason);
    // Listed by (random) name, so compare as a set; the sidecar's own record keeps the order.
    expect([...reasons].sort()).toEqual(['Deregistered', 'TargetDraining', 'TargetHealthy', 'TargetRegistered']);
    expect(sidecar.events.map((e) => e.reason)).toEqual(['TargetRegistered', 'TargetHealthy', 'TargetDraining', 'Deregistered']);
    console.log(`aws source: ${callsAfter} DescribeTargetHealth calls for one pod lifecycle at a 200ms poll interval`);
    const metrics = await (await fetch(`${sidecar.url}/metrics`)).text();
    // Every AWS call counts: DescribeTargetHealth, and the one DescribeTargetGroups that told the load balancer type.
    expect(elb.targetGroupCalls().length).toBe(1);
    expect(metrics).toMatch(
      new RegExp(`draingate_sidecar_source_calls_total\\{source="aws",outcome="ok"\\} ${elb.calls.length - allCallsBefore}`),
    );
    expect(metrics).toContain('draingate_sidecar_deregistered 1');
  }, 60_000);

  it('ContainersReady but not registered for 12 polls: a log line, a Warning event and /v1/status registrationStalled, until the LB knows the target', async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'aws-unregistered';
    await serviceAndBinding(kc, ns, 'web', TG1, { targetPort: 'http', targetType: 'ip' });
    elb.group(TG1); // the target group exists; this pod's target is not in it (DescribeTargetHealth: Target.NotRegistered)
    const log = memoryLogger();
    const { sidecar } = await cluster.podWithSidecar(ns, cluster.awsFlags(), {
      pod: { nodeName: 'node-1', ports: [{ name: 'http', containerPort: 8080 }] },
      ip: '10.0.0.21', // an address no earlier test registered in TG1 (the fake ELBv2 is shared by this file)
      logger: log,
    });
    const status = async () => (await getJson<SidecarStatusBody>(`${sidecar.url}/v1/status`)).body;
    // Not registered, but the containers are not ready either (the controller does not register such a pod): no stall
    // after more than 12 polls of 200 ms.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await status()).toMatchObject({ phase: 'starting', registrationStalled: null });
    expect(elb.describeCalls().length).toBeGreaterThanOrEqual(12);

    const readyAt = Date.now();
    await writeConditions(kc, ns, 'web', [{ type: 'ContainersReady', status: 'True' }]);
    const stalled = await waitFor('registrationStalled', async () => (await status()).registrationStalled);
    expect(Date.now() - readyAt).toBeGreaterThanOrEqual(12 * 200);
    expect(stalled.message).toMatch(
      /^ContainersReady for \d+(\.\d+)?s but not registered in the load balancer \(healthy in 0\/1 target groups; 10\.0\.0\.21:8080 is notRegistered \(Target\.NotRegistered\)\)\. /,
    );
    expect(stalled.message).toContain('carrying its own readiness gate (target-health.elbv2.k8s.aws/<binding>), and this pod has none');
    expect(Date.parse(stalled.containersReadySince)).toBeGreaterThanOrEqual(Math.floor(readyAt / 1000) * 1000 - 1000);
    const events = await waitFor('a TargetNotRegistered event', async () =>
      (await podEvents(kc, ns, 'web')).find((e) => e.reason === 'TargetNotRegistered'),
    );
    expect(events.type).toBe('Warning');
    expect(events.message).toBe(stalled.message.slice(0, 1000));
    expect(log.lines.filter((l) => l.includes('ContainersReady for'))).toHaveLength(1);

    // Registered at last: the stall is over (the event stays, once).
    elb.set(TG1, '10.0.0.21', 8080, 'initial');
    await waitFor('stall cleared', async () => ((await status()).registrationStalled === null ? true : null));
    expect((await podEvents(kc, ns, 'web')).filter((e) => e.reason === 'TargetNotRegistered')).toHaveLength(1);
  });

  it("a stalled pod that carries the controller's gate is named as such (then the controller is the one to check)", async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'aws-unregistered-albc';
    await serviceAndBinding(kc, ns, 'web', TG2, { targetPort: 'http', targetType: 'ip' });
    elb.group(TG2);
    const { sidecar } = await cluster.podWithSidecar(ns, cluster.awsFlags(), {
      pod: {
        nodeName: 'node-1',
        ports: [{ name: 'http', containerPort: 8080 }],
        extraGates: ['target-health.elbv2.k8s.aws/k8s-web-0123456789'],
      },
    });
    await writeConditions(kc, ns, 'web', [{ type: 'ContainersReady', status: 'True' }]);
    const stalled = await waitFor(
      'registrationStalled',
      async () => (await getJson<SidecarStatusBody>(`${sidecar.url}/v1/status`)).body.registrationStalled,
    );
    expect(stalled.message).toContain("The pod carries the controller's gate (target-health.elbv2.k8s.aws/k8s-web-0123456789)");
  });

  it('instance mode with explicit target groups: instance id + NodePort in every group; gate waits for all of them', async () => {
    const { elb } = cluster;
    elb.set(TG1, 'i-0123456789abcdef0', 30080, 'healthy').set(TG2, 'i-0123456789abcdef0', 30080, 'initial');
    const { sidecar } = await cluster.podWithSidecar('aws-instance', [
      ...cluster.awsFlags(),
      '--target-type=instance',
      '--instance-id=i-0123456789abcdef0',
      '--target-port=30080',
      `--target-group-arn=${TG1}`,
      `--target-group-arn=${TG2}`,
    ]);
    await waitFor(
      'both groups asked',
      () => new Set(elb.describeCalls().map((c) => c.targetGroupArn)).size === 2 && sidecar.status().targets.length === 2,
    );
    expect(sidecar.status().gate.status).not.toBe('True');
    expect(elb.describeCalls().at(-1)?.targets).toEqual([{ id: 'i-0123456789abcdef0', port: 30080 }]);
    elb.set(TG2, 'i-0123456789abcdef0', 30080, 'healthy');
    await waitFor('gate True', () => sidecar.status().gate.status === 'True');
    expect(sidecar.status().gate.message).toBe('healthy in 2/2 target groups');
  }, 60_000);

  it('instance mode from a TargetGroupBinding: the NodePort of its Service and the instance id from the Node providerID', async () => {
    const kc = cluster.admin();
    const ns = 'aws-tgb-instance';
    await kc.makeApiClient(CoreV1Api).createNode({
      body: { metadata: { name: 'node-7' }, spec: { providerID: 'aws:///eu-west-1a/i-0fedcba9876543210' } },
    });
    await serviceAndBinding(kc, ns, 'shop', TG2, { targetPort: 'http', targetType: 'instance' });
    cluster.elb.set(TG2, 'i-0fedcba9876543210', 30080, 'healthy');
    const { sidecar } = await cluster.podWithSidecar(ns, [...cluster.awsFlags(), '--node-name=node-7'], {
      name: 'shop',
      pod: { nodeName: 'node-7', ports: [{ name: 'http', containerPort: 8080 }] },
    });
    await waitFor('gate True', () => sidecar.status().gate.status === 'True', 30_000);
    expect(sidecar.status().targets).toMatchObject([{ targetGroupArn: TG2, id: 'i-0fedcba9876543210', port: 30080, state: 'healthy' }]);
  }, 60_000);

  it('Throttling: backs off (gaps grow beyond the poll interval), then recovers', async () => {
    const { elb } = cluster;
    elb.set(TG1, '10.0.0.9', 8080, 'healthy');
    elb.failNext(3, THROTTLING);
    const before = elb.describeCalls().length;
    const { sidecar } = await cluster.podWithSidecar('aws-throttle', cluster.awsFlags(TG1), { ip: '10.0.0.9' });
    await waitFor('gate True after throttling', () => sidecar.status().gate.status === 'True', 30_000);
    const calls = elb.describeCalls().slice(before);
    expect(calls.slice(0, 3).map((c) => c.error)).toEqual(['Throttling', 'Throttling', 'Throttling']);
    expect(calls.length).toBe(4); // no SDK retries hidden behind our backoff: one request per attempt
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i] as { at: number }).at);
    // Backoff base 1 s, ×2 each time, jitter [0.5, 1]: ≥ 500, ≥ 1000, ≥ 2000 ms (the poll interval is 200 ms).
    expect(gaps[0]).toBeGreaterThanOrEqual(450);
    expect(gaps[1]).toBeGreaterThanOrEqual(950);
    expect(gaps[2]).toBeGreaterThanOrEqual(1950);
    expect(sidecar.status().lastError?.message).toMatch(/throttled by AWS \(Throttling: Rate exceeded\)/);
  }, 60_000);

  it('Throttling with a Retry-After header: the next request waits at least that long', async () => {
    const { elb } = cluster;
    elb.set(TG1, '10.0.0.11', 8080, 'healthy');
    elb.failNext(1, { ...THROTTLING, retryAfterSeconds: 3 });
    const before = elb.describeCalls().length;
    const { sidecar } = await cluster.podWithSidecar('aws-retry-after', cluster.awsFlags(TG1), { ip: '10.0.0.11' });
    await waitFor('gate True', () => sidecar.status().gate.status === 'True', 30_000);
    const calls = elb.describeCalls().slice(before);
    expect(calls.map((c) => c.error)).toEqual(['Throttling', null]);
    expect((calls[1]?.at as number) - (calls[0]?.at as number)).toBeGreaterThanOrEqual(2950); // backoff alone: ≤ 1 s
  }, 60_000);

  it('Retry-After holds when draining starts meanwhile: /v1/prestop does not cut the wait short', async () => {
    const { elb } = cluster;
    elb.set(TG1, '10.0.0.14', 8080, 'initial');
    elb.failNext(1, { ...THROTTLING, retryAfterSeconds: 3 });
    const before = elb.describeCalls().length;
    const { sidecar } = await cluster.podWithSidecar('aws-retry-after-prestop', [...cluster.awsFlags(TG1), '--app-drain-budget=24s'], {
      ip: '10.0.0.14',
    });
    await waitFor('the throttled call', () => elb.describeCalls().length > before);
    const answer = prestop(sidecar); // deadline: 30 s grace - 24 s budget
    await waitFor('a call after the throttled one', () => elb.describeCalls().length > before + 1, 20_000);
    const calls = elb.describeCalls().slice(before);
    expect(calls[0]?.error).toBe('Throttling');
    expect((calls[1]?.at as number) - (calls[0]?.at as number)).toBeGreaterThanOrEqual(2950);
    await answer;
  }, 60_000);

  it('a /v1/prestop call on a pod nobody deletes polls only while it waits (until its deadline)', async () => {
    const { elb } = cluster;
    elb.set(TG1, '10.0.0.12', 8080, 'healthy');
    const { sidecar } = await cluster.podWithSidecar('aws-stray-prestop', [...cluster.awsFlags(TG1), '--app-drain-budget=2s'], {
      ip: '10.0.0.12',
      pod: { grace: 4 },
    });
    await waitFor('gate True', () => sidecar.status().gate.status === 'True', 30_000);
    const before = elb.describeCalls().length;
    const r = await prestop(sidecar);
    expect(r.body.ended).toBe('deadline'); // grace 4 s − budget 2 s
    expect(r.body.waitedMs).toBeGreaterThanOrEqual(1900);
    expect(elb.describeCalls().length).toBeGreaterThan(before); // it did look while waiting
    await new Promise((res) => setTimeout(res, 500));
    const after = elb.describeCalls().length;
    await new Promise((res) => setTimeout(res, 1500));
    expect(elb.describeCalls().length).toBe(after);
    expect(sidecar.status()).toMatchObject({ phase: 'ready', deregistered: false, draining: null, gate: { status: 'True' } });
  }, 60_000);

  it('a /v1/prestop wait on a pod nobody deletes ends, then the sidecar goes back to starting: deregistered resets, the gate still turns True', async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'aws-stray-starting';
    elb.set(TG1, '10.0.0.15', 8080, 'initial');
    const { sidecar } = await cluster.podWithSidecar(ns, [...cluster.awsFlags(TG1), '--app-drain-budget=20s'], { ip: '10.0.0.15' });
    await waitForGate(kc, ns, 'web', 'gate False', (c) => c.status === 'False');
    const answer = prestop(sidecar); // e.g. anyone reaching 0.0.0.0:9901 before the pod is ready
    await waitFor('draining', () => sidecar.status().phase === 'draining');
    elb.set(TG1, '10.0.0.15', 8080, 'draining');
    const r = await answer;
    expect(r.body.ended).toBe('deregistered');
    // The wait did end on evidence, but the pod is not being deleted: that evidence must not outlive the wait.
    const st = await waitFor('back to starting', async () => {
      const b = (await getJson<SidecarStatusBody>(`${sidecar.url}/v1/status`)).body;
      return b.phase === 'starting' ? b : null;
    });
    expect(st).toMatchObject({ deregistered: false, deregisteredAt: null, draining: null });
    expect(checkSidecarStatus(st)).toBeNull();
    const warn = await waitFor('the event', () => sidecar.events.find((e) => e.reason === 'PrestopWithoutDeletion'));
    expect(warn.type).toBe('Warning');
    expect(warn.message).toMatch(/not being deleted.*back to starting/);
    elb.set(TG1, '10.0.0.15', 8080, 'healthy');
    const ready = await waitForGate(kc, ns, 'web', 'gate True after the stray wait', (c) => c.status === 'True', 30_000);
    expect(ready.reason).toBe('TargetHealthy');
    expect(sidecar.status()).toMatchObject({ phase: 'ready', deregistered: false, draining: null });
    const metrics = await (await fetch(`${sidecar.url}/metrics`)).text();
    expect(metrics).toContain('draingate_sidecar_draining 0');
    expect(metrics).toContain('draingate_sidecar_deregistered 0');
  }, 60_000);

  it('liveness restart: preStop without deletion on a ready pod returns to ready; a later real deletion still drains and records Deregistered', async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'aws-stray-ready';
    elb.set(TG1, '10.0.0.16', 8080, 'healthy');
    const { sidecar } = await cluster.podWithSidecar(ns, [...cluster.awsFlags(TG1), '--app-drain-budget=20s'], {
      ip: '10.0.0.16',
      pod: { nodeName: 'node-1' }, // scheduled: deleting it keeps the grace period (an unscheduled pod goes at once)
    });
    await waitForGate(kc, ns, 'web', 'gate True', (c) => c.status === 'True', 30_000);
    // The kubelet runs preStop before restarting the app container; the restarted app is NotReady for a while, so
    // the load balancer may really drain the target meanwhile.
    const stray = prestop(sidecar);
    await waitFor('draining', () => sidecar.status().phase === 'draining');
    elb.set(TG1, '10.0.0.16', 8080, 'draining');
    expect((await stray).body.ended).toBe('deregistered');
    await waitFor('back to ready', () => sidecar.status().phase === 'ready');
    expect(sidecar.status()).toMatchObject({ deregistered: false, draining: null, gate: { status: 'True' } });
    // The restarted app is registered again; a real deletion later drains as usual, with fresh evidence.
    elb.set(TG1, '10.0.0.16', 8080, 'healthy');
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web', namespace: ns, gracePeriodSeconds: 60 });
    await waitFor('deletion seen', () => sidecar.status().draining?.trigger === 'deletion');
    const answer = prestop(sidecar);
    await new Promise((res) => setTimeout(res, 800));
    expect(sidecar.status()).toMatchObject({ phase: 'draining', deregistered: false });
    elb.set(TG1, '10.0.0.16', 8080, 'draining');
    expect((await answer).body.ended).toBe('deregistered');
    await new Promise((res) => setTimeout(res, 500));
    expect(sidecar.status()).toMatchObject({ phase: 'draining', deregistered: true, draining: { trigger: 'deletion' } });
    const reasons = sidecar.events.map((e) => e.reason);
    expect(reasons.filter((x) => x === 'Deregistered')).toHaveLength(2); // once for the stray wait, once for the deletion
    expect(reasons).toContain('PrestopWithoutDeletion');
  }, 60_000);

  it('AccessDenied: one clear error naming the IAM action, gate False PermissionDenied, preStop falls back to the fixed delay', async () => {
    const { elb } = cluster;
    const kc = cluster.admin();
    const ns = 'aws-denied';
    elb.failAlways(ACCESS_DENIED);
    cluster.defer(() => elb.failAlways(null));
    const { sidecar } = await cluster.podWithSidecar(ns, [...cluster.awsFlags(TG1), '--fallback-delay=1500ms'], { ip: '10.0.0.10' });
    const c = await waitForGate(kc, ns, 'web', 'gate PermissionDenied', (x) => x.reason === 'PermissionDenied');
    expect(c.status).toBe('False');
    expect(c.message).toMatch(/Allow the IAM action "elasticloadbalancing:DescribeTargetHealth"/);
    expect(sidecar.status().evidenceAvailable).toBe(false);
    const r = await prestop(sidecar);
    expect(r.body.ended).toBe('fallback-delay');
    expect(r.body.waitedMs).toBeGreaterThanOrEqual(1400);
    expect(r.body.waitedMs).toBeLessThan(10_000);
  }, 60_000);
});
