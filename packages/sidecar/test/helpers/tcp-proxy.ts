import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of the apiserver that a test can cut (existing connections destroyed, new ones
 * refused by an immediate close) and restore. Counts connection attempts while cut.
 */
export class TcpProxy {
  url = '';
  cut = false;
  /** Times of connections refused while cut. */
  readonly refused: number[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      if (this.cut) {
        this.refused.push(Date.now());
        client.destroy();
        return;
      }
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const a = this.server.address();
    this.url = `https://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    return this;
  }

  /** Destroys every open connection and refuses new ones. */
  disconnect(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  reconnect(): void {
    this.cut = false;
  }

  async stop(): Promise<void> {
    this.disconnect();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
