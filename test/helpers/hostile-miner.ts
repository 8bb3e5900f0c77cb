import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { encryptForValidator } from '../../harness/sim/axon.js';
import { minerShellConfig, simProfile } from '../../harness/sim/profiles.js';
import { listenOnLoopback, startPasswordSshServer } from '../../harness/sim/ssh-server.js';

/** The commands of one PoG session as the hostile SSH side tells them apart. */
export type HostileMode = 'upload' | 'gpu_info' | 'benchmark' | 'compute' | 'proof' | 'other';

/** One command's honest result (the real payload under harness/sim's miner_shell.py). */
export interface CommandResult {
  readonly stdout: string;
  readonly code: number;
}

/** What the hostile SSH side does with one command. Omitted fields keep the honest behaviour. */
export interface CommandScript {
  /** Replaces stdout; given the honest stdout (the honest command runs first, unless `hang`/`drop`). */
  readonly stdout?: string | ((honest: string, command: string) => string);
  readonly code?: number;
  readonly delayMs?: number;
  /** Never answers (the validator's command timeout or the attempt deadline must end it). */
  readonly hang?: boolean;
  /** Drops the whole SSH connection instead of answering. */
  readonly drop?: boolean;
  /** Writes this many bytes of junk to stdout before the scripted output. */
  readonly hugeBytes?: number;
  /** Writes stdout, then ends the channel's output (EOF) without an exit status. */
  readonly eofWithoutExit?: boolean;
  /** Never closes the channel, not even in answer to the validator's close. */
  readonly neverCloseChannel?: boolean;
  /** Ends with this signal (`KILL`…) instead of an exit status. */
  readonly signal?: string;
  /** Writes half of stdout, then closes the TCP socket under the SSH session (no SSH disconnect). */
  readonly cutMidOutput?: boolean;
}

/** One axon answer: HTTP status and raw body, or a hang / delay / redirect. */
export interface AxonAnswer {
  readonly status?: number;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
  readonly hang?: boolean;
}

export type AxonPhase = 'check' | 'allocate' | 'deallocate';

export interface HostileScript {
  /** GPU the honest payload reports (default one NVIDIA H100 80GB HBM3). */
  readonly gpu?: { readonly name: string; readonly count: number };
  /**
   * Replaces an axon answer; given the honest synapse output (for `allocate`, with the real RSA-wrapped
   * credentials) and the validator's public key.
   */
  readonly axon?: Partial<
    Record<AxonPhase, (honest: Record<string, unknown>, publicKey: string) => AxonAnswer>
  >;
  /** Replaces the credentials the axon hands out (before encryption). */
  readonly credentials?: (honest: {
    username: string;
    password: string;
    port: number;
  }) => Record<string, unknown> | string;
  /** Per-command behaviour of the SSH side. */
  readonly commands?: Partial<Record<HostileMode, CommandScript>>;
  /** The SSH side never closes its end of the TCP connection, even after our disconnect and FIN. */
  readonly holdSocket?: boolean;
}

export interface HostileMiner {
  readonly port: number;
  /** Commands that reached the SSH side, in order. */
  readonly modes: HostileMode[];
  close(): Promise<void>;
}

export interface HostileWorld {
  readonly python: string;
  readonly workDir: string;
  start(script: HostileScript): Promise<HostileMiner>;
  /** Connections of `holdSocket` miners whose socket our side has not closed yet. */
  heldOpen(): number;
  stop(): Promise<void>;
}

export function modeOf(command: string): HostileMode {
  const mode = /--mode (\w+)/.exec(command)?.[1];
  if (mode === 'gpu_info' || mode === 'benchmark' || mode === 'compute' || mode === 'proof') return mode;
  return command.includes('sha256sum') ? 'upload' : 'other';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A scriptable hostile miner world: one in-process ssh2 server (password login) shared by every
 * miner, and one HTTP axon per miner. Honest command output comes from harness/sim's
 * `miner_shell.py` running the real payload; each case's script replaces what it wants.
 */
export async function startHostileWorld(python: string): Promise<HostileWorld> {
  const root = mkdtempSync(join(tmpdir(), 'pog-hostile-'));
  const workDir = join(root, 'work');
  mkdirSync(workDir);
  const wrapper = fileURLToPath(new URL('../../harness/sim/miner_shell.py', import.meta.url));
  const logins = new Map<string, { script: HostileScript; configPath: string; modes: HostileMode[] }>();
  const children = new Set<ReturnType<typeof spawn>>();
  let configs = 0;

  const honestRun = (configPath: string, command: string, stdin: Buffer): Promise<CommandResult> =>
    new Promise((resolve) => {
      const child = spawn(python, [wrapper, configPath], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: root,
          LANG: 'C.UTF-8',
          SSH_ORIGINAL_COMMAND: command,
        },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      children.add(child);
      const out: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);
      child.once('error', () => resolve({ stdout: '', code: 127 }));
      child.once('close', (code) => {
        children.delete(child);
        resolve({ stdout: Buffer.concat(out).toString('utf8'), code: code ?? 255 });
      });
    });

  const handleExec = async (
    client: Connection,
    login: { script: HostileScript; configPath: string; modes: HostileMode[] },
    command: string,
    stream: ssh2.ServerChannel,
  ) => {
    stream.on('error', () => undefined);
    const mode = modeOf(command);
    login.modes.push(mode);
    const plan = login.script.commands?.[mode] ?? {};
    if (plan.drop) return void client.end();
    if (plan.cutMidOutput) {
      const honest = await honestRun(login.configPath, command, Buffer.alloc(0));
      stream.write(honest.stdout.slice(0, Math.max(1, Math.floor(honest.stdout.length / 2))));
      // let the half reach the validator, then close the socket without an SSH goodbye
      await sleep(50);
      return void sshServer.rawSocketOf(client)?.destroy();
    }
    if (plan.hang) return;
    const stdin: Buffer[] = [];
    // the upload streams the payload in and ends stdin; other commands end it at once
    await new Promise<void>((resolve) => {
      stream.on('data', (c: Buffer) => stdin.push(c));
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
    });
    const honest = await honestRun(login.configPath, command, Buffer.concat(stdin));
    if (plan.delayMs) await sleep(plan.delayMs);
    const stdout =
      typeof plan.stdout === 'function'
        ? plan.stdout(honest.stdout, command)
        : (plan.stdout ?? honest.stdout);
    try {
      if (plan.hugeBytes) {
        const chunk = Buffer.alloc(64 * 1024, 0x7b);
        for (let sent = 0; sent < plan.hugeBytes && stream.writable; sent += chunk.length) {
          if (!stream.write(chunk)) await new Promise((r) => setTimeout(r, 1));
        }
      }
      stream.write(stdout);
      if (plan.neverCloseChannel) {
        // ssh2 answers a peer's CHANNEL_CLOSE through this method: a hostile server simply does not
        (stream as { close: () => void }).close = () => undefined;
      }
      if (plan.eofWithoutExit) return void stream.eof();
      if (plan.signal !== undefined) stream.exit(plan.signal, false, '');
      else stream.exit(plan.code ?? honest.code);
      stream.end();
    } catch {
      // the validator closed the channel (output over its limit, deadline)
    }
  };

  const sshServer = await startPasswordSshServer(
    (password) => logins.get(password),
    (client, login, command, stream) => void handleExec(client, login, command, stream),
  );
  const sshPort = sshServer.port;
  // `holdSocket`: a relay in front of it that never passes the end of the connection back
  const held = new Set<Socket>();
  const holdFront = createTcpServer({ allowHalfOpen: true }, (socket) => {
    held.add(socket);
    const upstream = tcpConnect(sshPort, '127.0.0.1');
    socket.on('error', () => undefined);
    upstream.on('error', () => undefined);
    socket.pipe(upstream);
    upstream.pipe(socket, { end: false });
    socket.once('close', () => {
      held.delete(socket);
      upstream.destroy();
    });
  });
  const holdPort = await listenOnLoopback(holdFront);

  const start = async (script: HostileScript): Promise<HostileMiner> => {
    const gpu = script.gpu ?? { name: 'NVIDIA H100 80GB HBM3', count: 1 };
    const configPath = join(root, `miner-${configs++}.json`);
    writeFileSync(
      configPath,
      minerShellConfig(
        { behaviour: 'honest', profile: simProfile(gpu.name, gpu.count) },
        { slowDelayS: 0, tooSlowExtraS: 0, partialFraction: 1, serialDeviceS: 0, inflatedComputeS: 0 },
      ),
    );
    const modes: HostileMode[] = [];
    const passwords: string[] = [];
    let allocated: string | null = null;
    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const synapse = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const publicKey = typeof synapse.public_key === 'string' ? synapse.public_key : '';
      let phase: AxonPhase;
      let output: Record<string, unknown>;
      if (synapse.timeline === 0) {
        phase = 'deallocate';
        output = { status: allocated !== null && allocated === publicKey };
        if (output.status) {
          allocated = null;
          for (const p of passwords.splice(0)) logins.delete(p);
        }
      } else if (synapse.checking === true) {
        phase = 'check';
        output = { status: allocated === null };
      } else {
        phase = 'allocate';
        allocated = publicKey;
        const password = randomBytes(12).toString('base64url');
        passwords.push(password);
        logins.set(password, { script, configPath, modes });
        const honest = { username: 'root', password, port: script.holdSocket ? holdPort : sshPort };
        const creds = script.credentials?.(honest) ?? { ...honest, version: 1 };
        output = {
          status: true,
          info: encryptForValidator(
            Buffer.from(typeof creds === 'string' ? creds : JSON.stringify(creds)),
            publicKey,
          ),
        };
      }
      const answer = script.axon?.[phase]?.({ ...synapse, output }, publicKey) ?? {};
      if (answer.hang) return;
      if (answer.delayMs) await sleep(answer.delayMs);
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? JSON.stringify({ ...synapse, output }));
    };
    const server = createServer((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    const port = await listenOnLoopback(server);
    return {
      port,
      modes,
      async close() {
        for (const p of passwords) logins.delete(p);
        const closed = new Promise((r) => server.close(r));
        server.closeAllConnections();
        await closed;
      },
    };
  };

  return {
    python,
    workDir,
    start,
    heldOpen: () => held.size,
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      for (const socket of held) socket.destroy();
      await Promise.all([sshServer.stop(), new Promise((r) => holdFront.close(r))]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
