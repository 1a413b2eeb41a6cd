import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of the apiserver that a test can cut (existing connections destroyed, new ones
 * refused by an immediate close) and restore, or turn into a black hole (connections stay open, nothing is
 * forwarded either way: a peer that vanished without a FIN or RST). Counts connection attempts while cut.
 */
export class TcpProxy {
  url = '';
  cut = false;
  holed = false;
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
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => {});
      if (this.holed) return;
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => {});
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

  /** Stops forwarding on every connection, open or new, without closing any: the peer just goes silent. */
  blackhole(): void {
    this.holed = true;
    for (const s of this.sockets) {
      s.unpipe();
      s.pause();
    }
  }

  reconnect(): void {
    this.cut = false;
  }

  async stop(): Promise<void> {
    this.disconnect();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
