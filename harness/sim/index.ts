import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import type { PogEngineConfigInput } from '../../lib/pog/config.js';
import type { AxonInfo } from '../../lib/ports.js';
import { type SimAxonStats, startSimAxon } from './axon.js';
import { minerShellConfig, type SimBehaviour, type SimGpuProfile, type SimMinerSpec } from './profiles.js';
import type { SimSshBackend } from './ssh.js';
import { startEmbeddedSsh } from './ssh-embedded.js';
import { startOpenSsh } from './ssh-openssh.js';

export {
  SIM_BEHAVIOURS,
  type SimBehaviour,
  type SimGpuProfile,
  type SimMinerSpec,
  simProfile,
} from './profiles.js';
export { openSshUnavailable } from './ssh-openssh.js';

/** Which SSH server the miners serve: in-process `ssh2` (default, no system package) or a private OpenSSH sshd (root). */
export type SimSshKind = 'embedded' | 'openssh';

export interface SimOptions {
  /** Simulation-only matrix size (production derives n from VRAM). Default 64. */
  readonly matrixSize?: number;
  /** Interpreter with numpy that runs the payload's CPU path; default: the first `python3` that imports numpy. */
  readonly python?: string;
  /** SSH side. Default `embedded`. */
  readonly ssh?: SimSshKind;
  /** For `ssh: 'openssh'`. Default `/usr/sbin/sshd`. */
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
  readonly stats: SimAxonStats;
}

export interface SimulatedMiners {
  readonly miners: readonly SimulatedMiner[];
  /** Engine settings a runner needs to talk to these miners (small n, their work directory). */
  readonly engine: PogEngineConfigInput;
  /** The simulation's fixed n, for the runner's `matrixSize` option (production derives n from VRAM). */
  readonly matrixSize: number;
  /** Which SSH side serves them. */
  readonly ssh: SimSshKind;
  /** The private sshd's PID (OpenSSH only), so an owner can kill it even when it cannot await {@link stop}. */
  readonly pid?: number;
  /** Stops the axons and the SSH side (and its processes) and removes the temp directory. */
  stop(): Promise<void>;
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

/**
 * Starts simulated miners, each as a real SN27 miner looks from the validator: an HTTP axon in this
 * process implementing `Allocate` (dendrite signatures checked), which hands out a `root` password
 * RSA-wrapped for the validator, and an SSH side where that password logs in and every command runs
 * `miner_shell.py` (the miner's profile and behaviour around the real payload's CPU path) as its own
 * python3 process. One SSH server serves every miner; hundreds of miners start in seconds.
 */
export async function startSimulatedMiners(
  specs: readonly SimMinerSpec[],
  options: SimOptions = {},
): Promise<SimulatedMiners> {
  await cryptoWaitReady();
  const timeToleranceS = options.timeToleranceS ?? 20;
  const python = options.python ?? findPython();
  const kind = options.ssh ?? 'embedded';
  const root = mkdtempSync(join(tmpdir(), 'pog-sim-'));
  const workDir = join(root, 'work');
  mkdirSync(workDir);
  chmodSync(root, 0o700);
  const wrapper = fileURLToPath(new URL('./miner_shell.py', import.meta.url));
  const keyring = new Keyring({ type: 'sr25519' });
  const servers: Server[] = [];
  let ssh: SimSshBackend | undefined;

  const stop = async () => {
    const closed = Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    // a stalled request (stall-allocation) would keep close() waiting: end every connection now
    for (const s of servers) s.closeAllConnections();
    await closed;
    await ssh?.stop();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const tuning = {
      slowDelayS: options.slowDelayS ?? 0.3,
      tooSlowExtraS: options.tooSlowExtraS ?? timeToleranceS + 3,
      partialFraction: options.partialFraction ?? 0.5,
      serialDeviceS: options.serialDeviceS ?? 0.3,
      inflatedComputeS: options.inflatedComputeS ?? timeToleranceS + 2,
    };
    const configPaths = specs.map((spec, k) => {
      const path = join(root, `miner-${k}.json`);
      writeFileSync(path, minerShellConfig(spec, tuning));
      return path;
    });
    const setup = { python, wrapper, configPaths, root };
    ssh =
      kind === 'openssh'
        ? await startOpenSsh(setup, options.sshdPath ? { sshdPath: options.sshdPath } : {})
        : await startEmbeddedSsh(setup);
    const backend = ssh;

    const miners: SimulatedMiner[] = [];
    for (const [k, spec] of specs.entries()) {
      const hotkey = spec.hotkey ?? keyring.addFromMnemonic(mnemonicGenerate(12)).address;
      const axon = await startSimAxon({
        hotkey,
        behaviour: spec.behaviour,
        delayMs: spec.behaviour === 'slow-but-valid' ? tuning.slowDelayS * 1000 : 0,
        grant: () => backend.grant(k),
        revoke: () => backend.revoke(k),
      });
      servers.push(axon.server);
      miners.push({
        hotkey,
        axon: { ip: '127.0.0.1', port: axon.port, version: 1 },
        behaviour: spec.behaviour,
        profile: spec.profile,
        stats: axon.stats,
      });
    }
    return {
      miners,
      engine: { remoteBaseDir: workDir, timeToleranceS },
      matrixSize: options.matrixSize ?? 64,
      ssh: kind,
      ...(backend.pid !== undefined ? { pid: backend.pid } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
