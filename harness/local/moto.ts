import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

export interface MotoServer {
  readonly endpoint: string;
  readonly pid: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** How to launch moto here: the `moto_server` script if on PATH, else `python3 -m moto.server`. */
function motoCommand(): [string, string[]] {
  const onPath = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() !== '') return [onPath.stdout.trim(), []];
  const module = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (module.status === 0) return ['python3', ['-m', 'moto.server']];
  throw new Error(
    "moto_server is not installed: run `python3 -m pip install 'moto[server]==5.2.1'` (the integration tests need it)",
  );
}

/**
 * Starts a private moto_server on 127.0.0.1 with a free port, with Batch and Lambda set not to need
 * Docker (local-aws.md §1.1). Stop it with {@link MotoServer.stop}; it is killed by PID.
 */
export async function startMoto(env: Record<string, string> = {}): Promise<MotoServer> {
  const [cmd, prefix] = motoCommand();
  const child: ChildProcess = spawn(cmd, [...prefix, '-H', '127.0.0.1', '-p', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`moto_server did not start in 20 s: ${seen.slice(-500)}`)),
      20_000,
    );
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited with ${code}: ${seen.slice(-500)}`));
    });
  });
  // keep draining output so the pipe never blocks the server
  child.stdout?.resume();
  child.stderr?.resume();
  const configure = async (): Promise<void> => {
    const res = await fetch(`${endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ batch: { use_docker: false }, lambda: { use_docker: false } }),
    });
    if (!res.ok) throw new Error(`moto config failed: ${res.status}`);
  };
  await configure();
  const pid = child.pid ?? -1;
  return {
    endpoint,
    pid,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await configure();
    },
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      });
    },
  };
}

/** The environment an AWS SDK v3 client needs to talk to an emulator at `endpoint`. */
export function emulatorEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}
