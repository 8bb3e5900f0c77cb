import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:net';
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
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    connections.add(client);
    let login: Login | undefined;
    client.on('error', () => undefined);
    client.on('close', () => connections.delete(client));
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
  const port = await listenOnLoopback(server);
  return {
    port,
    async stop() {
      for (const client of connections) client.end();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
