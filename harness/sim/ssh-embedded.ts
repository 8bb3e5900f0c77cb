import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import ssh2, { type Connection } from 'ssh2';
import {
  DROP_CONNECTION_EXIT,
  randomPassword,
  type SimSshBackend,
  type SimSshLogin,
  type SimSshSetup,
} from './ssh.js';

function samePassword(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The default SSH side: an in-process `ssh2` server on 127.0.0.1 that accepts password login as
 * `root` and runs each exec request as a real `python3 miner_shell.py` process, as sshd's forced
 * command would. One server serves every miner; the password picks the miner. Needs no system package.
 */
export async function startEmbeddedSsh(setup: SimSshSetup): Promise<SimSshBackend> {
  // ssh2 reads SEC1 PEM (not PKCS#8); P-256 generates in milliseconds
  const hostKey = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  const passwords = new Map<number, string>();
  const connections = new Set<Connection>();
  const children = new Set<ChildProcess>();

  const minerFor = (password: string): number | undefined => {
    for (const [miner, current] of passwords) if (samePassword(current, password)) return miner;
    return undefined;
  };

  const runCommand = (client: Connection, miner: number, command: string, stream: ssh2.ServerChannel) => {
    const configPath = setup.configPaths[miner];
    if (configPath === undefined) {
      stream.exit(127);
      stream.end();
      return;
    }
    // the environment sshd gives a forced command, nothing of ours (no AWS or chain settings)
    const child = spawn(setup.python, [setup.wrapper, configPath], {
      cwd: setup.root,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: setup.root,
        USER: 'root',
        LANG: 'C.UTF-8',
        SSH_ORIGINAL_COMMAND: command,
        SIM_SSH_DROP_EXIT: String(DROP_CONNECTION_EXIT),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    // a client that stops reading (output over its limit) closes the channel: the writes then fail
    child.stdin.on('error', () => undefined);
    stream.on('error', () => undefined);
    stream.stderr.on('error', () => undefined);
    stream.pipe(child.stdin);
    child.stdout.pipe(stream, { end: false });
    child.stderr.pipe(stream.stderr, { end: false });
    stream.on('close', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.once('error', () => {
      children.delete(child);
      stream.exit(127);
      stream.end();
    });
    child.once('close', (code) => {
      children.delete(child);
      if (code === DROP_CONNECTION_EXIT) {
        client.end();
        return;
      }
      try {
        stream.exit(code ?? 255);
        stream.end();
      } catch {
        // the channel is already gone
      }
    });
  };

  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    connections.add(client);
    let miner: number | undefined;
    client.on('error', () => undefined);
    client.on('close', () => connections.delete(client));
    client.on('authentication', (ctx) => {
      const match = ctx.method === 'password' ? minerFor(ctx.password) : undefined;
      if (ctx.username === 'root' && match !== undefined) {
        miner = match;
        ctx.accept();
      } else ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          if (miner !== undefined) runCommand(client, miner, info.command, accept());
        });
      });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });

  return {
    async grant(miner: number): Promise<SimSshLogin> {
      let password = randomPassword();
      while (minerFor(password) !== undefined) password = randomPassword();
      passwords.set(miner, password);
      return { username: 'root', password, port };
    },
    async revoke(miner: number): Promise<void> {
      passwords.delete(miner);
    },
    async stop(): Promise<void> {
      for (const child of children) child.kill('SIGKILL');
      for (const client of connections) client.end();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
