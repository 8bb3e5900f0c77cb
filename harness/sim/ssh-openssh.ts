import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { randomPassword, type SimSshBackend, type SimSshLogin, type SimSshSetup } from './ssh.js';

export const DEFAULT_SSHD = '/usr/sbin/sshd';

/**
 * Why the OpenSSH backend cannot run here, or null when it can: it creates system users and sets their
 * passwords, so it needs root and an installed sshd.
 */
export function openSshUnavailable(sshdPath = DEFAULT_SSHD): string | null {
  if (process.getuid?.() !== 0) return 'needs root (it creates throwaway users with useradd and chpasswd)';
  if (!existsSync(sshdPath)) return `${sshdPath} is absent (apt-get install -y openssh-server)`;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.pid === undefined) throw new Error('sshd is not running');
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('sshd did not start listening');
}

/**
 * The SSH side as production meets it: a private OpenSSH `sshd` on 127.0.0.1 with PASSWORD login
 * (its own host key and config). Each miner is a throwaway system user with uid 0 (a real miner's
 * login is `root`; uid 0 also lets it run the pyenv interpreter under /root), created here with
 * `useradd` and removed with `userdel` on stop; every allocation sets a fresh password with
 * `chpasswd`. `AllowUsers` admits only these users, and a `Match User` block per user forces
 * `python3 miner_shell.py <its JSON>`. Root only: see {@link openSshUnavailable}.
 */
export async function startOpenSsh(
  setup: SimSshSetup,
  options: { sshdPath?: string } = {},
): Promise<SimSshBackend> {
  const sshd = options.sshdPath ?? DEFAULT_SSHD;
  const unavailable = openSshUnavailable(sshd);
  if (unavailable !== null) throw new Error(`OpenSSH simulated miners: ${unavailable}`);
  const tag = randomBytes(3).toString('hex');
  const users = setup.configPaths.map((_, k) => `pogsim${tag}m${k}`);
  const created: string[] = [];
  let child: ChildProcess | undefined;
  // chpasswd and useradd lock /etc/shadow: one at a time within this process
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => T): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  // asynchronous: a slow chpasswd on a loaded machine must not stall the axons and sessions in this process
  const setPassword = (user: string, password: string) =>
    serial(
      () =>
        new Promise<void>((resolve, reject) => {
          const child = execFile('chpasswd', [], (error) => (error ? reject(error) : resolve()));
          child.stdin?.end(`${user}:${password}\n`);
        }),
    );

  const stop = async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    }
    await queue;
    for (const user of created.splice(0)) {
      try {
        // -f: userdel refuses a uid-0 user otherwise ("currently used by process 1"); no -r, the home is ours
        execFileSync('userdel', ['-f', user], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  };

  try {
    for (const user of users) {
      // -o -u 0 -g 0: a second name for uid 0, no group of its own, so userdel removes only this entry
      execFileSync('useradd', ['-o', '-u', '0', '-g', '0', '-M', '-d', setup.root, '-s', '/bin/sh', user], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      created.push(user);
      // a random password nobody is told until an allocation sets a fresh one
      await setPassword(user, randomPassword(24));
    }
    // OpenSSH's own keygen: ssh2's ed25519 keys drop a public key's leading zero byte (about 1 in 256),
    // which sshd refuses ("error in libcrypto")
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(setup.root, 'host_ed25519')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    mkdirSync('/run/sshd', { recursive: true });

    let port = 0;
    let sshdErrors = '';
    for (let tries = 0; tries < 5 && child === undefined; tries++) {
      port = await freePort();
      writeFileSync(
        join(setup.root, 'sshd_config'),
        [
          'ListenAddress 127.0.0.1',
          `Port ${port}`,
          `HostKey ${join(setup.root, 'host_ed25519')}`,
          `PidFile ${join(setup.root, 'sshd.pid')}`,
          'PasswordAuthentication yes',
          'PermitEmptyPasswords no',
          'KbdInteractiveAuthentication no',
          'PubkeyAuthentication no',
          // the users have uid 0, as a miner's root login
          'PermitRootLogin yes',
          // sshd checks the password against /etc/shadow itself
          'UsePAM no',
          'StrictModes no',
          `AllowUsers ${users.join(' ')}`,
          'DisableForwarding yes',
          'PermitTTY no',
          'MaxStartups 1024',
          'MaxSessions 64',
          'LogLevel ERROR',
          ...users.flatMap((user, k) => [
            `Match User ${user}`,
            `  ForceCommand ${setup.python} ${setup.wrapper} ${setup.configPaths[k]}`,
          ]),
          '',
        ].join('\n'),
      );
      const started = spawn(sshd, ['-D', '-e', '-f', join(setup.root, 'sshd_config')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      started.once('error', (error) => {
        sshdErrors = error.message;
      });
      started.stderr?.on('data', (chunk: Buffer) => {
        sshdErrors = `${sshdErrors}${chunk.toString()}`.slice(-500);
      });
      try {
        // generous: a loaded 2-core CI machine can take seconds to start sshd
        await waitForPort(port, started, 15_000);
        child = started;
      } catch {
        if (started.pid !== undefined && started.exitCode === null) process.kill(started.pid, 'SIGTERM');
      }
    }
    if (child === undefined) throw new Error(`could not start ${sshd}: ${sshdErrors.trim() || 'no output'}`);
    const pid = child.pid;

    return {
      pid,
      async grant(miner: number): Promise<SimSshLogin> {
        const username = users[miner];
        if (username === undefined) throw new Error(`no simulated miner ${miner}`);
        const password = randomPassword();
        await setPassword(username, password);
        return { username, password, port };
      },
      async revoke(miner: number): Promise<void> {
        const username = users[miner];
        if (username !== undefined) await setPassword(username, randomPassword(24));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
