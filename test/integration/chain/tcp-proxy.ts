import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly endpoint: string;
  /** Destroys every open connection the first time the server sends a chunk containing `marker`. */
  dropOnServerText(marker: string): void;
  /** Destroys every open connection now (an idle timeout or a load-balancer reset between calls). */
  dropNow(): void;
  /** Swallows everything the server sends from now on, keeping the sockets open (a hung peer). */
  freeze(): void;
  readonly drops: number;
  close(): Promise<void>;
}

/** A 127.0.0.1 TCP relay in front of a websocket server, so a test can cut the connection mid-call. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  let marker: string | null = null;
  let frozen = false;
  let drops = 0;
  const dropAll = (): void => {
    drops += 1;
    for (const s of sockets) s.destroy();
  };
  const server = createServer((client) => {
    const upstream = connect(Number(url.port), url.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (frozen) return;
      if (marker !== null && chunk.toString('latin1').includes(marker)) {
        marker = null;
        dropAll();
        return;
      }
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `ws://127.0.0.1:${port}`,
    dropOnServerText(text: string) {
      marker = text;
    },
    dropNow: dropAll,
    freeze() {
      frozen = true;
    },
    get drops() {
      return drops;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}
