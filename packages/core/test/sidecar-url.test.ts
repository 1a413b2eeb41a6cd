import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SidecarClient, sidecarStatusUrl } from '../src/internal/sidecar-client.js';

// `sidecarUrl`: a sidecar's base URL gets `/v1/status`; the controller's per-pod URL, ending in `/status`, is used as is.
describe('sidecarUrl', () => {
  it('a base URL gets /v1/status; a URL ending in /status is the status itself', () => {
    expect(sidecarStatusUrl('http://127.0.0.1:9901')).toBe('http://127.0.0.1:9901/v1/status');
    expect(sidecarStatusUrl('http://proxy/sidecar')).toBe('http://proxy/sidecar/v1/status');
    const pod = 'http://draingate-controller.draingate-system:9901/v1/pods/web/web-7d9f-x2/status';
    expect(sidecarStatusUrl(pod)).toBe(pod);
  });

  it('the client fetches the per-pod URL a controller serves', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          apiVersion: 'draingate.io/v1',
          source: 'aws',
          deregistered: true,
          deregisteredAt: null,
          targets: [],
          lastError: null,
        }),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/pods/web/web-0/status`;
    // A generous timeout: what is asserted is the path asked, not the speed (a 100 ms one timed out under load).
    const client = new SidecarClient(url, 5000, { info() {}, warn() {}, error() {}, debug() {} } as never);
    await client.fetch();
    server.close();
    expect(paths).toEqual(['/v1/pods/web/web-0/status']);
    expect(client.report().error).toBeNull();
    expect(client.evidenceSince(0)?.deregistered).toBe(true);
  });
});
