import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the chain's WebSocket, so the chaos run can drop the connection at the worst
 * moment: right after the node accepted a weight extrinsic into its pool, before the client hears of
 * its inclusion. Server→client frames are unmasked, so the JSON-RPC method names can be matched.
 */
export class WsProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private armed = false;
  /** Extrinsic submissions seen from the node's side (its subscription updates). */
  submissions = 0;
  drops = 0;

  private constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = createServer((client) => this.pipe(client));
  }

  /** Listens on 127.0.0.1 with a free port; returns the proxy and its ws:// endpoint. */
  static async start(upstream: string): Promise<{ proxy: WsProxy; endpoint: string }> {
    const url = new URL(upstream);
    const proxy = new WsProxy(url.hostname, Number(url.port));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return { proxy, endpoint: `ws://127.0.0.1:${port}` };
  }

  /** The next extrinsic accepted by the node drops every connection once. */
  armDropOnSubmission(): void {
    this.armed = true;
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.upstreamPort, this.upstreamHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    let pendingSubmit = false;
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      client.write(chunk);
      const text = chunk.toString('latin1');
      // One subscription is opened per submitted extrinsic; its first update says it reached the pool.
      if (text.includes('author_extrinsicUpdate') && !pendingSubmit) {
        pendingSubmit = true;
        this.submissions++;
        if (this.armed) {
          this.armed = false;
          this.dropAll();
        }
      }
      if (text.includes('"inBlock"') || text.includes('"finalized"')) pendingSubmit = false;
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }

  dropAll(): void {
    this.drops++;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
