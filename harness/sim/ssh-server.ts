import { generateKeyPairSync } from 'node:crypto';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import ssh2, { type Connection } from 'ssh2';

/** Listens on an ephemeral 127.0.0.1 port and resolves to it. */
export function listenOnLoopback(server: Server | ssh2.Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** The environment sshd gives a forced command, nothing of ours (no AWS or chain settings). */
export function forcedCommandEnv(home: string, command: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    SSH_ORIGINAL_COMMAND: command,
  };
}

export interface PasswordSshServer {
  readonly port: number;
  /** The TCP socket under a connection, so a hostile script can cut it mid-output. */
  rawSocketOf(client: Connection): Socket | undefined;
  /** Ends every open connection and closes the listener (the caller ends its own child processes first). */
  stop(): Promise<void>;
}

/**
 * An in-process `ssh2` server on 127.0.0.1 that accepts password login as `root` when `loginFor` knows
 * the password, and hands each exec request of that connection to `onExec` with the login it matched.
 * One server serves every simulated miner: the password picks which.
 */
export async function startPasswordSshServer<Login>(
  loginFor: (password: string) => Login | undefined,
  onExec: (client: Connection, login: Login, command: string, stream: ssh2.ServerChannel) => void,
): Promise<PasswordSshServer> {
  // ssh2 reads SEC1 PEM (not PKCS#8); P-256 generates in milliseconds
  const hostKey = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  const connections = new Set<Connection>();
  // ssh2 hides the socket under a connection: our own TCP front hands each one over, keyed by its port
  const rawByPort = new Map<number, Socket>();
  const rawOf = new Map<Connection, Socket>();
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client, info) => {
    connections.add(client);
    const raw = rawByPort.get(info.port);
    if (raw !== undefined) rawOf.set(client, raw);
    let login: Login | undefined;
    client.on('error', () => undefined);
    client.on('close', () => {
      connections.delete(client);
      rawOf.delete(client);
    });
    client.on('authentication', (ctx) => {
      const match = ctx.method === 'password' ? loginFor(ctx.password) : undefined;
      if (ctx.username === 'root' && match !== undefined) {
        login = match;
        ctx.accept();
      } else ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          if (login !== undefined) onExec(client, login, info.command, accept());
        });
      });
    });
  });
  const front = createTcpServer((socket) => {
    const port = socket.remotePort ?? 0;
    rawByPort.set(port, socket);
    socket.once('close', () => rawByPort.delete(port));
    server.injectSocket(socket);
  });
  const port = await listenOnLoopback(front);
  return {
    port,
    rawSocketOf: (client) => rawOf.get(client),
    async stop() {
      for (const client of connections) client.end();
      await new Promise((resolve) => front.close(resolve));
    },
  };
}
