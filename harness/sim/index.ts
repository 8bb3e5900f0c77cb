import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { constants as cryptoConstants, publicEncrypt } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createConnection, createServer as createTcpServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate, signatureVerify } from '@polkadot/util-crypto';
import ssh2 from 'ssh2';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../lib/config/gpu-performance.js';
import type { PogEngineConfigInput } from '../../lib/pog/config.js';
import type { AxonInfo } from '../../lib/ports.js';

/** Behaviours of a simulated miner; the first three must pass, `spoofed-name` gets the GPU its figures identify. */
export const SIM_BEHAVIOURS = [
  'honest',
  'slow-but-valid',
  'noisy-but-valid',
  'spoofed-name',
  'wrong-root',
  'partial-compute',
  'garbage-output',
  'huge-output',
  'too-slow',
  'disconnect',
  'refuse-allocation',
  'one-wrong-entry-per-row',
  'low-precision',
  'one-gpu-serial',
  'inflated-benchmark',
  'stall-allocation',
] as const;
export type SimBehaviour = (typeof SIM_BEHAVIOURS)[number];

/** What the simulated GPUs look like: the name they report and the fingerprint their benchmark yields. */
export interface SimGpuProfile {
  readonly name: string;
  readonly count: number;
  readonly fp16: number;
  readonly fp32: number;
  readonly vram: number;
}

export interface SimMinerSpec {
  readonly hotkey?: string;
  readonly profile: SimGpuProfile;
  readonly behaviour: SimBehaviour;
  /** For `spoofed-name`: the name it claims (default: `NVIDIA B200`, or `NVIDIA H200` for a B200). */
  readonly claimedName?: string;
  /**
   * Builds C with the O(n²) Hankel recurrence instead of multiplying (the CPU-only cheat that the
   * D10 generator closes; see lib/pog/README.md), on top of `behaviour`. Tests only.
   */
  readonly hankelShortcut?: boolean;
}

export interface SimOptions {
  /** Simulation-only matrix size (production derives n from VRAM). Default 64. */
  readonly matrixSize?: number;
  /** Interpreter with numpy that runs the payload's CPU path; default: the first `python3` that imports numpy. */
  readonly python?: string;
  readonly sshdPath?: string;
  /** `slow-but-valid`: delay before each payload command and each axon answer. Default 0.3 s. */
  readonly slowDelayS?: number;
  /**
   * Compute-deadline tolerance the returned `engine` sets (many simulated miners share few CPU cores,
   * so it is wider than the reference's 5 s). Default 20 s.
   */
  readonly timeToleranceS?: number;
  /** `too-slow`: compute sleeps num_gpus·t32 plus this. Default: the tolerance + 3 s, so it always misses the deadline. */
  readonly tooSlowExtraS?: number;
  /** `partial-compute`: share of C's rows actually computed. Default 0.5. */
  readonly partialFraction?: number;
  /** `one-gpu-serial`: seconds each claimed GPU's multiplication holds the one device. Default 0.3. */
  readonly serialDeviceS?: number;
  /** `inflated-benchmark`: extra seconds its compute takes. Default: the tolerance + 2 s. */
  readonly inflatedComputeS?: number;
}

export interface SimulatedMiner {
  readonly hotkey: string;
  readonly axon: AxonInfo;
  readonly behaviour: SimBehaviour;
  readonly profile: SimGpuProfile;
  /** Allocation bookkeeping, for tests: every allocation must be followed by a deallocation. */
  readonly stats: {
    allocations: number;
    deallocations: number;
    allocated: boolean;
    rejectedSignatures: number;
  };
}

export interface SimulatedMiners {
  readonly miners: readonly SimulatedMiner[];
  /** Engine settings a runner needs to talk to these miners (small n, their work directory). */
  readonly engine: PogEngineConfigInput;
  /** The simulation's fixed n, for the runner's `matrixSize` option (production derives n from VRAM). */
  readonly matrixSize: number;
  /** The private sshd's PID, so an owner can kill it even when it cannot await {@link stop}. */
  readonly pid: number;
  /** Stops the HTTP servers and the sshd (by PID) and removes the temp directory. */
  stop(): Promise<void>;
}

/** A profile whose benchmark reproduces `gpuName`'s reference fingerprint exactly. */
export function simProfile(gpuName: string, count: number): SimGpuProfile {
  const perf = DEFAULT_PERFORMANCE_CONFIG.gpu_performance;
  const fp16 = perf.GPU_TFLOPS_FP16[gpuName];
  const fp32 = perf.GPU_TFLOPS_FP32[gpuName];
  const vram = perf.GPU_AVRAM[gpuName];
  if (fp16 === undefined || fp32 === undefined || vram === undefined)
    throw new Error(`no fingerprint for ${gpuName}`);
  return { name: gpuName, count, fp16, fp32, vram };
}

function findPython(): string {
  for (const candidate of ['python3', '/usr/bin/python3', 'python']) {
    try {
      return execFileSync(candidate, ['-c', 'import sys, numpy; print(sys.executable)'], {
        encoding: 'utf8',
      }).trim();
    } catch {
      // try the next one
    }
  }
  throw new Error('no python3 with numpy found for the simulated miners');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
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

/** RSA-OAEP-SHA256 in 190-byte chunks (one block holds at most 190 bytes with a 2048-bit key). */
function encryptForValidator(plain: Buffer, publicKeyPem: string): string {
  const blocks: Buffer[] = [];
  for (let off = 0; off < plain.length; off += 190) {
    blocks.push(
      publicEncrypt(
        { key: publicKeyPem, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        plain.subarray(off, off + 190),
      ),
    );
  }
  return Buffer.concat(blocks).toString('base64');
}

/**
 * Starts simulated miners: one private sshd on 127.0.0.1 serving every miner (each miner is an SSH
 * key whose forced command applies its profile and behaviour around the real payload's CPU path),
 * and one HTTP axon per miner in this process implementing `Allocate` (dendrite signatures checked).
 * Scales to hundreds of miners with one sshd process.
 */
export async function startSimulatedMiners(
  specs: readonly SimMinerSpec[],
  options: SimOptions = {},
): Promise<SimulatedMiners> {
  await cryptoWaitReady();
  const timeToleranceS = options.timeToleranceS ?? 20;
  const python = options.python ?? findPython();
  const sshd = options.sshdPath ?? '/usr/sbin/sshd';
  const root = mkdtempSync(join(tmpdir(), 'pog-sim-'));
  const workDir = join(root, 'work');
  mkdirSync(workDir);
  const wrapper = fileURLToPath(new URL('./miner_shell.py', import.meta.url));
  const username = userInfo().username;
  const keyring = new Keyring({ type: 'sr25519' });
  const servers: Server[] = [];
  let child: ChildProcess | undefined;

  const stop = async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    for (const s of servers) s.closeAllConnections();
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const host = ssh2.utils.generateKeyPairSync('ed25519');
    writeFileSync(join(root, 'host_ed25519'), host.private, { mode: 0o600 });
    const authorized: string[] = [];
    const prepared = specs.map((spec, k) => {
      const key = ssh2.utils.generateKeyPairSync('ed25519');
      const cfgPath = join(root, `miner-${k}.json`);
      const claimedName =
        spec.claimedName ?? (spec.profile.name === 'NVIDIA B200' ? 'NVIDIA H200' : 'NVIDIA B200');
      writeFileSync(
        cfgPath,
        JSON.stringify({
          behaviour: spec.behaviour,
          profile: spec.profile,
          claimedName,
          slowDelayS: options.slowDelayS ?? 0.3,
          tooSlowExtraS: options.tooSlowExtraS ?? timeToleranceS + 3,
          partialFraction: options.partialFraction ?? 0.5,
          serialDeviceS: options.serialDeviceS ?? 0.3,
          inflatedComputeS: options.inflatedComputeS ?? timeToleranceS + 2,
          hankelShortcut: spec.hankelShortcut ?? false,
        }),
      );
      authorized.push(
        `command="${python} ${wrapper} ${cfgPath}",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ${key.public}`,
      );
      const hotkey = spec.hotkey ?? keyring.addFromMnemonic(mnemonicGenerate(12)).address;
      return { spec, hotkey, privateKey: key.private };
    });
    writeFileSync(join(root, 'authorized_keys'), `${authorized.join('\n')}\n`, { mode: 0o600 });
    chmodSync(root, 0o700);
    mkdirSync('/run/sshd', { recursive: true });

    let sshPort = 0;
    let sshdErrors = '';
    for (let tries = 0; tries < 5 && child === undefined; tries++) {
      sshPort = await freePort();
      writeFileSync(
        join(root, 'sshd_config'),
        [
          'ListenAddress 127.0.0.1',
          `Port ${sshPort}`,
          `HostKey ${join(root, 'host_ed25519')}`,
          `PidFile ${join(root, 'sshd.pid')}`,
          `AuthorizedKeysFile ${join(root, 'authorized_keys')}`,
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PubkeyAuthentication yes',
          'UsePAM no',
          'StrictModes no',
          'MaxStartups 1024',
          'MaxSessions 64',
          'LogLevel ERROR',
          '',
        ].join('\n'),
      );
      const started = spawn(sshd, ['-D', '-e', '-f', join(root, 'sshd_config')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      // a missing binary surfaces as an 'error' event; waitForPort then sees the exit code
      started.once('error', (error) => {
        sshdErrors = error.message;
      });
      started.stderr?.on('data', (chunk: Buffer) => {
        sshdErrors = `${sshdErrors}${chunk.toString()}`.slice(-500);
      });
      try {
        // generous: a loaded 2-core CI machine can take seconds to start sshd
        await waitForPort(sshPort, started, 15_000);
        child = started;
      } catch {
        if (started.pid !== undefined && started.exitCode === null) process.kill(started.pid, 'SIGTERM');
      }
    }
    if (child === undefined) {
      throw new Error(
        `could not start ${sshd} (install openssh-server): ${sshdErrors.trim() || 'no output'}`,
      );
    }

    const miners: SimulatedMiner[] = [];
    for (const { spec, hotkey, privateKey } of prepared) {
      const stats = { allocations: 0, deallocations: 0, allocated: false, rejectedSignatures: 0 };
      let allocationKey: string | null = null;
      const delay = spec.behaviour === 'slow-but-valid' ? (options.slowDelayS ?? 0.3) * 1000 : 0;
      const handle = async (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const h = req.headers;
        const message = `${h.bt_header_dendrite_nonce}.${h.bt_header_dendrite_hotkey}.${h.bt_header_axon_hotkey}.${h.bt_header_dendrite_uuid}.${h.computed_body_hash}`;
        const signed =
          typeof h.bt_header_dendrite_signature === 'string' &&
          typeof h.bt_header_dendrite_hotkey === 'string' &&
          h.bt_header_axon_hotkey === hotkey &&
          signatureVerify(message, h.bt_header_dendrite_signature, h.bt_header_dendrite_hotkey).isValid;
        if (req.url !== '/Allocate' || !signed) {
          stats.rejectedSignatures++;
          return reply(401, { message: 'Signature mismatch' });
        }
        const synapse = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        let output: Record<string, unknown>;
        // answers the check, then never answers the allocation or the deallocation (stop() closes them)
        if (spec.behaviour === 'stall-allocation' && synapse.checking !== true) return;
        if (spec.behaviour === 'refuse-allocation') output = { status: false };
        else if (synapse.timeline === 0) {
          if (allocationKey !== null && synapse.public_key === allocationKey) {
            allocationKey = null;
            stats.allocated = false;
            stats.deallocations++;
            output = { status: true };
          } else output = { status: false };
        } else if (synapse.checking === true) output = { status: allocationKey === null };
        else if (allocationKey !== null || typeof synapse.public_key !== 'string') output = { status: false };
        else {
          allocationKey = synapse.public_key;
          stats.allocated = true;
          stats.allocations++;
          const creds = Buffer.from(
            JSON.stringify({ username, port: sshPort, private_key: privateKey, version: 1 }),
          );
          output = { status: true, info: encryptForValidator(creds, synapse.public_key) };
        }
        return reply(200, { ...synapse, output });
      };
      const server = createServer((req, res) => {
        handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500).end();
        });
      });
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : 0);
        });
      });
      miners.push({
        hotkey,
        axon: { ip: '127.0.0.1', port, version: 1 },
        behaviour: spec.behaviour,
        profile: spec.profile,
        stats,
      });
    }
    return {
      miners,
      engine: { remoteBaseDir: workDir, timeToleranceS },
      matrixSize: options.matrixSize ?? 64,
      pid: child.pid ?? -1,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
