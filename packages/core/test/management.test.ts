import type { Started } from '@draingate/testkit/conformance';
import { connect, get, sleep } from '@draingate/testkit/http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusReport } from '../src/index.js';
import { nodeHttp } from './helpers/servers.js';

let started: Started | null = null;
afterEach(async () => {
  await started?.cleanup();
  started = null;
});

const mgmtOptions = { managementPort: 0, managementHost: '127.0.0.1' } as const;

describe('management listener', () => {
  it('serves /livez, /readyz, /status and 404 for the rest', async () => {
    started = await nodeHttp.start({ ...mgmtOptions, metrics: true });
    const mgmt = (await started.gate.listenManagement())!;
    expect((await get(mgmt.port, '/livez')).status).toBe(200);
    expect((await get(mgmt.port, '/readyz')).status).toBe(200);
    const status = (await get(mgmt.port, '/status')).json() as StatusReport;
    expect(status).toMatchObject({ state: 'ready', inflight: 0, drain: null, sidecar: null });
    expect(status.plan).toMatchObject({ minDelay: '100ms', maxDelay: '1s', drainTimeout: '2s', lbUnhealthyThreshold: 2 });
    expect(status.history.map((h) => h.to)).toEqual(['ready']);
    expect((await get(mgmt.port, '/nope')).status).toBe(404);
  });

  it('/prestop starts draining and answers once draining has ended, with the evidence', async () => {
    started = await nodeHttp.start({ ...mgmtOptions, minDelay: '300ms', delay: '600ms', maxDelay: '2s' });
    const { gate, port } = started;
    const mgmt = (await gate.listenManagement())!;
    const t0 = Date.now();
    const prestop = get(mgmt.port, '/prestop');
    await sleep(100);
    expect(gate.state).toBe('draining');
    expect((await connect('http1', port).request('/readyz')).status).toBe(503);
    const r = await prestop;
    expect(r.status).toBe(200);
    const body = r.json() as { evidence: { kind: string } };
    expect(body.evidence.kind).toBe('fixed-delay');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(590);
    expect(gate.status().drain?.trigger).toBe('prestop');
    // kubelet's SIGTERM follows the preStop hook: the same shutdown, not a second one.
    const result = await gate.shutdown('SIGTERM');
    expect(result.trigger).toBe('prestop');
  });

  it('/status tells the story after a shutdown: phases, evidence, requests by phase', async () => {
    started = await nodeHttp.start({ ...mgmtOptions, minDelay: '100ms', maxDelay: '400ms' });
    const { gate, port } = started;
    const c = connect('http1', port);
    await c.request('/');
    const done = gate.shutdown();
    await c.request('/');
    await done;
    c.close();
    const s = gate.status();
    expect(s.state).toBe('stopped');
    expect(s.history.map((h) => h.to)).toEqual(['ready', 'draining', 'stopping', 'stopped']);
    expect(s.requestsByPhase).toMatchObject({ ready: 1, draining: 1 });
    expect(s.drain).toMatchObject({ trigger: 'shutdown()', evidence: { kind: 'max-delay' } });
    expect(s.phaseDurationsMs.draining).toBeGreaterThanOrEqual(400);
    expect(s.phaseDurationsMs.stopping).toBeGreaterThanOrEqual(0);
  });
});

describe('metrics', () => {
  it('exposes Prometheus metrics with the documented names and values after a shutdown', async () => {
    const registry = new Registry();
    started = await nodeHttp.start({ ...mgmtOptions, minDelay: '100ms', maxDelay: '300ms', drainTimeout: '300ms', metrics: { registry } });
    const { gate, port } = started;
    const c = connect('http1', port);
    await c.request('/');
    await c.request('/', { 'user-agent': 'ELB-HealthChecker/2.0' });
    const slow = c.request('/work?ms=5000').catch(() => 'cut');
    await sleep(50);
    const done = gate.shutdown();
    const late = connect('http1', port);
    await late.request('/readyz', { 'user-agent': 'ELB-HealthChecker/2.0' });
    await late.request('/');
    await done;
    await slow;
    c.close();
    late.close();
    const text = await registry.metrics();
    const value = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || (l.startsWith(`${name}{`) && l.includes(name)));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    expect(text).toContain('draingate_lifecycle_state{state="stopped"} 1');
    expect(text).toContain('draingate_lifecycle_state{state="ready"} 0');
    expect(value('draingate_inflight_requests')).toBe(0);
    expect(value('draingate_open_connections')).toBe(0);
    expect(text).toContain('draingate_requests_total{phase="ready"} 3');
    expect(text).toContain('draingate_requests_total{phase="draining"} 1');
    expect(text).toContain('draingate_forced_socket_closes_total 1');
    expect(text).toContain('draingate_lb_health_checks_total{result="pass"} 1');
    expect(text).toContain('draingate_lb_health_checks_total{result="fail"} 1');
    expect(text).toContain('draingate_drain_evidence{kind="max-delay"} 1');
    expect(text).toMatch(/draingate_phase_duration_seconds\{phase="draining"\} 0\.[3-9]/);
    expect(text).toMatch(/draingate_phase_duration_seconds\{phase="stopping"\} /);
    expect(text).toMatch(/# TYPE draingate_requests_total counter/);
    expect(text).toMatch(/# TYPE draingate_inflight_requests gauge/);
  });

  it('serves /metrics on the management port from a private registry by default', async () => {
    started = await nodeHttp.start({ ...mgmtOptions, metrics: true });
    const mgmt = (await started.gate.listenManagement())!;
    const r = await get(mgmt.port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.body).toContain('draingate_lifecycle_state{state="ready"} 1');
  });

  it('says how to turn metrics on when they are off', async () => {
    started = await nodeHttp.start({ ...mgmtOptions, metrics: false });
    const mgmt = (await started.gate.listenManagement())!;
    const r = await get(mgmt.port, '/metrics');
    expect(r.status).toBe(404);
    expect(r.body).toContain('metrics are off');
  });
});
