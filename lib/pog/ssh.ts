import { Socket } from 'node:net';
import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { asError } from '../errors.js';
import { PogMinerError } from './errors.js';

/** After its EOF an honest server sends the exit status and answers our channel close at once. */
const CHANNEL_CLOSE_GRACE_MS = 2000;
/** How long a closed connection waits for the miner to close its side of the socket before we drop it. */
const CLOSE_GRACE_MS = 1000;

/** A signal name as the miner sent it is untrusted text: kept only when it looks like one. */
const signalName = (signal: unknown): string =>
  typeof signal === 'string' && /^SIG[A-Z0-9]{1,16}$/.test(signal) ? signal : 'SIG?';

export interface ExecOptions {
  readonly timeoutMs: number;
  readonly maxStdoutBytes: number;
  readonly maxStderrBytes: number;
  readonly stdin?: Buffer;
}

/** A finished command; `stdout` is text ({@link MinerShell.exec}) or the chunks received ({@link MinerShell.execBytes}). */
export interface ExecOutput<Stdout> {
  /** Null when the miner sent no exit status (a signal, or nothing). */
  readonly code: number | null;
  /** The signal the command died of (`SIGKILL`…), when the miner reported one instead of a status. */
  readonly signal: string | null;
  /** At most `maxStdoutBytes`. */
  readonly stdout: Stdout;
  /** At most `maxStderrBytes`; stderr alone never fails a command (D6). */
  readonly stderr: string;
}
export type ExecResult = ExecOutput<string>;
export type ExecBytesResult = ExecOutput<Buffer[]>;

/**
 * One SSH connection to a miner, every operation bounded in time and size. We own the TCP socket
 * (ssh2 cannot destroy its own once ended), so a miner that never closes its side cannot keep it,
 * and with it our process, alive.
 */
export class MinerShell {
  private closing = false;

  private constructor(
    private readonly client: Client,
    private readonly socket: Socket,
  ) {}

  /** Connects with a deadline; any failure is a miner fault. Host keys are ephemeral containers' and not pinned. */
  static connect(config: {
    host: string;
    port: number;
    username: string;
    password?: string;
    privateKey?: string;
    timeoutMs: number;
  }): Promise<MinerShell> {
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      const socket = new Socket();
      let settled = false;
      const timer = setTimeout(
        () => finish(new PogMinerError('SSH connect timed out')),
        config.timeoutMs + 1000,
      );
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          client.destroy();
          socket.destroy();
          reject(error);
        } else resolve(new MinerShell(client, socket));
      };
      client.on('ready', () => finish());
      client.on('error', (error: Error & { level?: string }) =>
        finish(
          new PogMinerError(
            error.level === 'client-authentication' ? 'SSH authentication failed' : 'SSH connection failed',
          ),
        ),
      );
      client.on('close', () => finish(new PogMinerError('SSH connection closed')));
      const connectConfig: ConnectConfig = {
        sock: socket,
        username: config.username,
        readyTimeout: config.timeoutMs,
        hostVerifier: () => true,
        ...(config.password !== undefined ? { password: config.password } : {}),
        ...(config.privateKey !== undefined ? { privateKey: config.privateKey } : {}),
      };
      try {
        // connecting first: ssh2 then waits for the socket's 'connect' and reports its errors
        socket.connect({ host: config.host, port: config.port });
        client.connect(connectConfig);
      } catch {
        finish(new PogMinerError('SSH credentials are unusable'));
      }
    });
  }

  /**
   * Runs one command. Rejects with a {@link PogMinerError} on timeout, on stdout over the limit
   * (the channel is closed at once, so a hostile miner cannot fill our memory) or when the
   * connection drops. Resolves at the channel's close, or a short grace after the miner's EOF when
   * it never closes the channel (a half-closed channel must not hold us to the timeout); `code` and
   * `signal` are both null when no exit status came. Excess stderr is dropped silently.
   */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    return this.run(command, options, (out) => Buffer.concat(out).toString('utf8'));
  }

  /**
   * {@link exec} with stdout as the chunks received, in order and not joined into one string.
   */
  execBytes(command: string, options: ExecOptions): Promise<ExecBytesResult> {
    return this.run(command, options, (out) => out);
  }

  /**
   * {@link exec} with stdout handed to `onStdout` chunk by chunk as it arrives and never held (the
   * proof, ~42 MB for 16 GPUs, is taken line by line while the miner still sends it). The size limit
   * still applies; a throw from `onStdout` ends the command with that error. The result's `stdout` is empty.
   */
  execStreaming(
    command: string,
    options: ExecOptions,
    onStdout: (chunk: Buffer) => void,
  ): Promise<ExecBytesResult> {
    return this.run(command, options, (out) => out, onStdout);
  }

  private run<Stdout>(
    command: string,
    options: ExecOptions,
    stdoutOf: (out: Buffer[]) => Stdout,
    onStdout?: (chunk: Buffer) => void,
  ): Promise<ExecOutput<Stdout>> {
    return new Promise((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let channelClosed = false;
      let settled = false;
      let exit: { code: number | null; signal: string | null } | undefined;
      let grace: ReturnType<typeof setTimeout> | undefined;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outSize = 0;
      let errSize = 0;
      const onClose = () => finish(new PogMinerError('SSH connection dropped'));
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(grace);
        this.client.removeListener('close', onClose);
        if (!channelClosed) channel?.destroy();
        if (error) {
          reject(error);
          return;
        }
        resolve({
          code: exit?.code ?? null,
          signal: exit?.signal ?? null,
          stdout: stdoutOf(out),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      };
      const timer = setTimeout(() => finish(new PogMinerError('command timed out')), options.timeoutMs);
      this.client.once('close', onClose);
      try {
        this.client.exec(command, (error, ch) => {
          if (error) {
            finish(new PogMinerError('command could not start'));
            return;
          }
          channel = ch;
          if (settled) {
            ch.destroy();
            return;
          }
          ch.on('data', (chunk: Buffer) => {
            if (settled) return;
            outSize += chunk.length;
            if (outSize > options.maxStdoutBytes) finish(new PogMinerError('output over the size limit'));
            else if (onStdout === undefined) out.push(chunk);
            else {
              try {
                onStdout(chunk);
              } catch (error) {
                finish(asError(error));
              }
            }
          });
          ch.stderr.on('data', (chunk: Buffer) => {
            if (errSize < options.maxStderrBytes)
              err.push(chunk.subarray(0, options.maxStderrBytes - errSize));
            errSize += chunk.length;
          });
          // output may still be in flight after 'exit'; 'close' settles
          ch.on('exit', (code: number | null, signal?: string) => {
            exit = { code, signal: code === null ? signalName(signal) : null };
          });
          ch.on('end', () => {
            // EOF: the output is complete (ssh2 then sends our CLOSE; the miner may never answer it)
            grace = setTimeout(() => finish(), CHANNEL_CLOSE_GRACE_MS);
          });
          ch.on('close', () => {
            channelClosed = true;
            finish();
          });
          ch.on('error', () => finish(new PogMinerError('SSH channel failed')));
          if (options.stdin) ch.end(options.stdin);
          else ch.end();
        });
      } catch {
        finish(new PogMinerError('SSH connection dropped'));
      }
    });
  }

  /** Closes the connection, and the socket within {@link CLOSE_GRACE_MS} whatever the miner does; never throws. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    try {
      this.client.end();
    } catch {
      // already closed
    }
    if (this.socket.destroyed) return;
    // a miner that never answers our FIN would keep the socket half-open for good
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }
}
