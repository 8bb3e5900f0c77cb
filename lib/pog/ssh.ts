import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { PogMinerError } from './errors.js';

export interface ExecOptions {
  readonly timeoutMs: number;
  readonly maxStdoutBytes: number;
  readonly maxStderrBytes: number;
  readonly stdin?: Buffer;
}

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  /** At most `maxStderrBytes`; stderr alone never fails a command (D6). */
  readonly stderr: string;
}

/** One SSH connection to a miner, every operation bounded in time and size. */
export class MinerShell {
  private constructor(private readonly client: Client) {}

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
          reject(error);
        } else resolve(new MinerShell(client));
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
        host: config.host,
        port: config.port,
        username: config.username,
        readyTimeout: config.timeoutMs,
        hostVerifier: () => true,
        ...(config.password !== undefined ? { password: config.password } : {}),
        ...(config.privateKey !== undefined ? { privateKey: config.privateKey } : {}),
      };
      try {
        client.connect(connectConfig);
      } catch {
        finish(new PogMinerError('SSH credentials are unusable'));
      }
    });
  }

  /**
   * Runs one command. Rejects with a {@link PogMinerError} on timeout, on stdout over the limit
   * (the channel is closed at once, so a hostile miner cannot fill our memory) or when the
   * connection drops. Excess stderr is dropped silently.
   */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outSize = 0;
      let errSize = 0;
      const onClose = () => finish(new PogMinerError('SSH connection dropped'));
      const finish = (error?: Error, code: number | null = null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.client.removeListener('close', onClose);
        if (error) {
          channel?.destroy();
          reject(error);
          return;
        }
        resolve({
          code,
          stdout: Buffer.concat(out).toString('utf8'),
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
            outSize += chunk.length;
            if (outSize > options.maxStdoutBytes) finish(new PogMinerError('output over the size limit'));
            else out.push(chunk);
          });
          ch.stderr.on('data', (chunk: Buffer) => {
            if (errSize < options.maxStderrBytes)
              err.push(chunk.subarray(0, options.maxStderrBytes - errSize));
            errSize += chunk.length;
          });
          let exitCode: number | null = null;
          // output may still be in flight after 'exit'; 'close' settles
          ch.on('exit', (code: number | null) => {
            exitCode = code;
          });
          ch.on('close', () => finish(undefined, exitCode));
          ch.on('error', () => finish(new PogMinerError('SSH channel failed')));
          if (options.stdin) ch.end(options.stdin);
          else ch.end();
        });
      } catch {
        finish(new PogMinerError('SSH connection dropped'));
      }
    });
  }

  /** Closes the connection; never throws. */
  close(): void {
    try {
      this.client.end();
    } catch {
      // already closed
    }
  }
}
