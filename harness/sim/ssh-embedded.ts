import { type ChildProcess, spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import type { Connection, ServerChannel } from 'ssh2';
import {
  DROP_CONNECTION_EXIT,
  randomPassword,
  type SimSshBackend,
  type SimSshLogin,
  type SimSshSetup,
} from './ssh.js';
import { forcedCommandEnv, startPasswordSshServer } from './ssh-server.js';

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
  const passwords = new Map<number, string>();
  const children = new Set<ChildProcess>();

  const minerFor = (password: string): number | undefined => {
    for (const [miner, current] of passwords) if (samePassword(current, password)) return miner;
    return undefined;
  };

  const runCommand = (client: Connection, miner: number, command: string, stream: ServerChannel) => {
    const configPath = setup.configPaths[miner];
    if (configPath === undefined) {
      stream.exit(127);
      stream.end();
      return;
    }
    const child = spawn(setup.python, [setup.wrapper, configPath], {
      cwd: setup.root,
      env: {
        ...forcedCommandEnv(setup.root, command),
        USER: 'root',
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

  const server = await startPasswordSshServer(minerFor, runCommand);

  return {
    async grant(miner: number): Promise<SimSshLogin> {
      let password = randomPassword();
      while (minerFor(password) !== undefined) password = randomPassword();
      passwords.set(miner, password);
      return { username: 'root', password, port: server.port };
    },
    async revoke(miner: number): Promise<void> {
      passwords.delete(miner);
    },
    async stop(): Promise<void> {
      for (const child of children) child.kill('SIGKILL');
      await server.stop();
    },
  };
}
