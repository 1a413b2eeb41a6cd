/**
 * Fault: a readiness check that hangs (a database ping that never returns). `/readyz` must still answer within
 * kubelet's probe timeout (1 s), say which check, not pile up one hung call per probe, and not hold up shutdown.
 */

import type { Started } from '@draingate/testkit/conformance';
import { connect, get } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHttp } from '../helpers/servers.js';

let started: Started | null = null;
afterEach(async () => {
  await started?.cleanup();
  started = null;
});

describe('fault: a readiness check hangs', () => {
  it('/readyz answers 503 within the check timeout, names it, and shares one run between concurrent probes', async () => {
    started = await nodeHttp.start({ minDelay: '50ms', maxDelay: '200ms' });
    const { gate, port } = started;
    let calls = 0;
    gate.addReadinessCheck('db', () => {
      calls++;
      return new Promise(() => {});
    });
    const t0 = performance.now();
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => get(port, '/readyz?verbose')));
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1000);
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.json()).toMatchObject({
        status: 'unready',
        checks: [{ name: 'db', ok: false, error: 'readiness check "db" timed out after 500ms' }],
      });
    }
    expect(calls).toBe(1);
    expect(gate.state).toBe('unready');
  });

  it('does not hold up shutdown: draining starts at once, requests are served, the gate stops', async () => {
    started = await nodeHttp.start({ minDelay: '50ms', maxDelay: '300ms' });
    const { gate, port } = started;
    gate.addReadinessCheck('db', () => new Promise(() => {}));
    void get(port, '/readyz'); // a probe in flight with the check hanging
    const t0 = performance.now();
    const done = gate.shutdown();
    expect(gate.state).toBe('draining');
    const during = await connect('http1', port).request('/');
    expect(during.status).toBe(200);
    const result = await done;
    expect(result.exitCode).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
