/**
 * Fault: the API server answers 500, 429 (Retry-After) or 403 to everything in the middle of a drain: the pod is
 * being deleted, kubelet's preStop is waiting on `/v1/prestop`, and the sidecar's watch, Events and writes all fail.
 * The drain must not suffer: the wait still ends when the target is deregistered (AWS says so, not the API
 * server), not earlier and not at the deadline; the gate keeps its last state; retries back off (honouring
 * Retry-After) instead of hammering a failing API server; each problem is logged once, not once per retry.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { useCluster } from '../helpers/cluster.js';
import { waitFor, waitForGate } from '../helpers/pods.js';
import { memoryLogger, prestop, TG1 } from '../helpers/sidecar.js';
import { type FaultAnswer, FaultProxy, statusBody } from './fault-proxy.js';

const cluster = useCluster({ elb: true });

const FAULTS: [string, FaultAnswer, RegExp][] = [
  ['500', { status: 500, body: statusBody(500, 'InternalError', 'etcdserver: request timed out') }, /API server error 500/],
  [
    '429',
    { status: 429, body: statusBody(429, 'TooManyRequests', 'too many requests'), headers: { 'retry-after': '2' } },
    /throttled by the API server \(429/,
  ],
  ['403', { status: 403, body: statusBody(403, 'Forbidden', 'forbidden by policy') }, /the API server refused ".*" in namespace .*\(403/],
];

describe('fault: the API server fails in the middle of a drain', () => {
  it.each(FAULTS)(
    '%s to everything: /v1/prestop still ends on deregistration, retries back off',
    async (code, answer, logged) => {
      const ns = `midrain-${code}`;
      const { api, elb } = cluster;
      const admin = cluster.admin();
      const proxy = await new FaultProxy({ url: api.url, caData: api.caData }).start();
      cluster.defer(() => proxy.stop());
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'proxied', server: proxy.url, caData: Buffer.from(proxy.caPem).toString('base64'), skipTLSVerify: false }],
        users: [{ name: 'admin', token: api.adminToken }],
        contexts: [{ name: 'proxied', cluster: 'proxied', user: 'admin' }],
        currentContext: 'proxied',
      });
      elb.set(TG1, '10.0.0.5', 8080, 'healthy');
      const logger = memoryLogger();
      const { sidecar } = await cluster.podWithSidecar(ns, cluster.awsFlags(TG1), {
        pod: { nodeName: 'node-1', grace: 60 },
        kubeConfig: kc,
        logger,
      });
      await waitForGate(admin, ns, 'web', 'gate True', (c) => c.status === 'True');
      await waitFor('the sidecar to know its gate is True', () => sidecar.status().gate.status === 'True');

      // The pod is deleted; the sidecar sees it, then the API server starts failing, and kubelet runs preStop.
      await admin.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'web', namespace: ns, gracePeriodSeconds: 60 });
      await waitFor('the deletion seen', () => sidecar.status().draining?.trigger === 'deletion');
      const faultFrom = Date.now();
      proxy.rule = () => answer;
      proxy.cutStreams(); // the watch breaks and must reconnect into the fault
      const waiting = prestop(sidecar);
      await new Promise((r) => setTimeout(r, 3000));
      expect(sidecar.status().deregistered).toBe(false);

      // AWS deregisters the target: the wait ends on that, the API server still failing.
      const drainingAt = Date.now();
      elb.set(TG1, '10.0.0.5', 8080, 'draining');
      const answered = await waiting;
      const answeredAt = Date.now();
      expect(answered.status).toBe(200);
      expect(answered.body.ended).toBe('deregistered');
      expect(answeredAt - drainingAt).toBeGreaterThanOrEqual(300); // the --propagation-bound the test sidecars use
      expect(answeredAt - drainingAt).toBeLessThan(3000);
      const st = sidecar.status();
      expect(st.deregistered).toBe(true);
      expect(st.gate.status).toBe('True'); // the last state is kept
      expect(st.lastError?.message).toMatch(logged);

      // Backoff, not a loop: over ~4 s of failures, a handful of calls (the watch, the Events), not hundreds. With
      // Retry-After: 2, no call of the same loop comes sooner than 2 s after the one before.
      const faulted = proxy.seen.filter((s) => s.at >= faultFrom && s.answered === answer.status);
      const window = (answeredAt - faultFrom) / 1000;
      expect(faulted.length, `${faulted.length} failed calls in ${window.toFixed(1)} s`).toBeGreaterThan(0);
      expect(faulted.length, `${faulted.length} failed calls in ${window.toFixed(1)} s`).toBeLessThanOrEqual(12);
      if (code === '429') {
        const gets = faulted.filter((s) => s.method === 'GET').map((s) => s.at);
        expect(gets.length).toBeGreaterThanOrEqual(2);
        for (let i = 1; i < gets.length; i++) expect((gets[i] as number) - (gets[i - 1] as number)).toBeGreaterThanOrEqual(1900);
      }
      // Each distinct problem is logged once, not once per retry.
      const messages = logger.lines.map((l) => String((JSON.parse(l) as { msg?: string }).msg)).filter((m) => logged.test(m));
      expect(messages.length).toBeGreaterThan(0);
      expect(new Set(messages).size).toBe(messages.length);
    },
    60_000,
  );
});
