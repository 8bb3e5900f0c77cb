import { createHash, randomBytes } from 'node:crypto';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { PerformanceConfig } from '../config/gpu-performance.js';
import type { Log } from '../log.js';
import { contactProblem } from '../net/public-address.js';
import type { PogChallenge } from '../queue/challenge.js';
import {
  type AllocateRequest,
  callAllocate,
  callDeallocate,
  type DendriteOptions,
  decryptCredentials,
  generateSessionKeys,
  TEST_DEVICE_REQUIREMENT,
  TEST_DOCKER_REQUIREMENT,
} from './axon.js';
import type { PogEngineConfig } from './config.js';
import { PogInfrastructureError, PogMinerError } from './errors.js';
import { identifyGpu, tflops } from './identify.js';
import { challengeMatrixSize, requiredPasses } from './math.js';
import { type GpuProof, ProofTaker } from './proof-output.js';
import { MinerShell } from './ssh.js';
import { benchmarkTimingProblem, computeBudget, computeTimingProblem } from './timing.js';
import {
  BenchmarkSchema,
  ComputeSchema,
  type GpuChallenge,
  GpuInfoSchema,
  parseMinerJson,
  pickRows,
  randomSeed,
} from './verify.js';

export type { GpuProof } from './proof-output.js';

export interface SessionContext {
  readonly performance: PerformanceConfig;
  readonly engine: PogEngineConfig;
  readonly keypair: KeyringPair;
  readonly payload: Buffer;
  readonly log: Log;
  /** Waits between deallocation tries (injected for tests). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Simulation only: fixes n instead of deriving it from the identified GPU's VRAM. */
  readonly matrixSize?: number;
  /** Harness only (simulated miners on 127.0.0.1); see lib/net/public-address.ts. */
  readonly allowPrivateAddresses?: boolean | undefined;
  /** Adds up the attempt's waits on the miner; the attempt's own when absent. */
  readonly minerClock?: MinerClock;
}

/**
 * The part of an attempt spent waiting on the miner (axon calls, SSH connect, payload commands, clean-up),
 * on our own clock. A worker invocation is billed for all of its wall time: this part is the miner's, the
 * rest the validator's own work, and the cost model prices the two apart (lib/cost/model.ts).
 */
export class MinerClock {
  private doneMs = 0;
  private ownMs = 0;
  private since: number | undefined;

  /** Milliseconds so far, a wait still in flight included (an attempt cut at its deadline). */
  get ms(): number {
    return this.doneMs - this.ownMs + (this.since === undefined ? 0 : performance.now() - this.since);
  }

  /** Our own work done while a wait is in flight (output taken as it arrives): not the miner's time. */
  own<T>(work: () => T): T {
    const t0 = performance.now();
    try {
      return work();
    } finally {
      this.ownMs += performance.now() - t0;
    }
  }

  /** Runs one wait on the miner; the session's waits are sequential, never nested. */
  async time<T>(op: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    this.since = t0;
    try {
      return await op();
    } finally {
      this.since = undefined;
      this.doneMs += performance.now() - t0;
    }
  }
}

/**
 * Durable record of a miner's allocation, kept by the caller (the worker: lib/store/pog-results.ts). A
 * miner keeps an allocation for its `timeline` (1 day) unless told otherwise, and a session killed before
 * its `finally` never deallocates: the next attempt, in any round, releases the recorded key first.
 */
export interface AllocationLedger {
  /** The key of an allocation no deallocation confirmed, or null. */
  open(): Promise<string | null>;
  /** Called before the allocation request; a failure stops the attempt as our own fault. */
  allocating(publicKey: string): Promise<void>;
  /** The allocation of `publicKey` is gone (confirmed, or the miner reported itself free). */
  released(publicKey: string): Promise<void>;
}

/** No durable record: a caller without a store (`PogRunner.run`, the session tests). */
const NO_LEDGER: AllocationLedger = {
  open: async () => null,
  allocating: async () => {},
  released: async () => {},
};

/** Our own clock around the commands (seconds). */
export interface AttemptTimings {
  readonly benchmarkS: number;
  readonly computeS: number;
  readonly proofS: number;
  /** The miner's own figures, kept for the record (never trusted for a deadline by the verifier). */
  readonly t32: number;
  readonly n32: number;
}

/**
 * What one passed attempt hands to the verifier: the data of a proof bundle. `sampled` is the
 * quick in-session check ({@link ProofTaker}); the verifier checks every entry of every row.
 */
export interface SessionResult {
  readonly gpuName: string;
  /** GPUs whose compute produced a root and timings (the count the miner is credited with). */
  readonly numGpus: number;
  readonly n: number;
  readonly gpus: readonly GpuProof[];
  readonly timings: AttemptTimings;
  readonly sampled: { readonly passed: number; readonly total: number; readonly required: number };
}

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * One PoG attempt against one miner (reference §4.2–§4.5): allocate, SSH in, upload and check the
 * payload, identify the GPU, run the timed compute, challenge rows, take them with their Merkle
 * paths and run the quick sampled check. Resolves with the proof bundle's data; throws
 * {@link PogMinerError} for every miner fault. Deallocation runs in `finally` whatever happened.
 */
export async function runSession(
  challenge: PogChallenge,
  ctx: SessionContext,
  signal?: AbortSignal,
  ledger: AllocationLedger = NO_LEDGER,
): Promise<SessionResult> {
  const { engine } = ctx;
  const target = { ip: challenge.axon.ip, port: challenge.axon.port, hotkey: challenge.hotkey };
  const dendrite: DendriteOptions = {
    keypair: ctx.keypair,
    maxResponseBytes: engine.maxAxonResponseBytes,
    dendriteIp: engine.dendriteIp,
    dendriteVersion: engine.dendriteVersion,
    allowPrivateAddresses: ctx.allowPrivateAddresses,
  };
  const clock = ctx.minerClock ?? new MinerClock();
  const keys = generateSessionKeys();
  const stale = await ours('read', () => ledger.open());
  // one try: a miner that no longer holds it answers false, and the check below tells free from busy
  const staleGone = stale !== null && (await clock.time(() => deallocate(target, stale, dendrite, ctx, 1)));
  const base: AllocateRequest = { timeline: 1, device_requirement: TEST_DEVICE_REQUIREMENT, checking: true };
  const check = await clock.time(() =>
    callAllocate(target, base, engine.allocateCheckTimeoutS, dendrite, signal),
  );
  if (stale !== null && (staleGone || check.status)) await release(ledger, stale, target.hotkey, ctx);
  if (!check.status) throw new PogMinerError('miner is busy or not allocatable');
  await ours('write', () => ledger.allocating(keys.publicKey));
  try {
    const allocation = await clock.time(() =>
      callAllocate(
        target,
        { ...base, checking: false, public_key: keys.publicKey, docker_requirement: TEST_DOCKER_REQUIREMENT },
        engine.allocateTimeoutS,
        dendrite,
        signal,
      ),
    );
    if (!allocation.status || allocation.info === undefined) throw new PogMinerError('allocation refused');
    const creds = decryptCredentials(allocation.info, keys.privateKey);
    const notPublic = contactProblem(challenge.axon.ip, ctx);
    if (notPublic !== null) throw new PogMinerError(notPublic);
    const shell = await clock.time(() =>
      MinerShell.connect({
        host: challenge.axon.ip,
        port: creds.port,
        username: creds.username,
        ...(creds.password !== undefined ? { password: creds.password } : {}),
        ...(creds.private_key !== undefined ? { privateKey: creds.private_key } : {}),
        timeoutMs: engine.sshConnectTimeoutS * 1000,
      }),
    );
    const dir = `${engine.remoteBaseDir.replace(/\/+$/, '')}/pog-${randomBytes(8).toString('hex')}`;
    // past the attempt deadline, closing the connection fails any pending command at once
    const onAbort = () => shell.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw new PogMinerError('attempt timed out');
      return await prove(shell, dir, ctx, clock);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await clock
        .time(() =>
          shell.exec(`rm -rf ${shellQuote(dir)}`, {
            timeoutMs: 5000,
            maxStdoutBytes: 1024,
            maxStderrBytes: 1024,
          }),
        )
        .catch(() => undefined);
      shell.close();
    }
  } finally {
    if (await clock.time(() => deallocate(target, keys.publicKey, dendrite, ctx)))
      await release(ledger, keys.publicKey, target.hotkey, ctx);
  }
}

/** A ledger read or write that fails is our fault, not the miner's: the attempt stops before allocating. */
async function ours<T>(what: 'read' | 'write', op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    throw new PogInfrastructureError(`allocation ledger ${what} failed`, { cause: error });
  }
}

/** Marks an allocation gone; a failed write only leaves the entry for the next attempt to release again. */
async function release(
  ledger: AllocationLedger,
  publicKey: string,
  hotkey: string,
  ctx: SessionContext,
): Promise<void> {
  await ledger
    .released(publicKey)
    .catch((error: unknown) =>
      ctx.log.info('pog.allocation.ledger_failed', { hotkey, reason: (error as Error).message }),
    );
}

/** Deallocation with the engine's tries (or `tries`); true when the miner confirmed it. */
async function deallocate(
  target: Parameters<typeof callAllocate>[0],
  publicKey: string,
  dendrite: DendriteOptions,
  ctx: SessionContext,
  tries = ctx.engine.deallocateTries,
): Promise<boolean> {
  const { engine } = ctx;
  return await callDeallocate(target, publicKey, dendrite, {
    tries,
    retryDelayMs: engine.deallocateRetryDelayS * 1000,
    timeoutS: engine.deallocateTimeoutS,
    sleep: ctx.sleep,
    log: ctx.log,
  });
}

async function prove(
  shell: MinerShell,
  dir: string,
  ctx: SessionContext,
  clock: MinerClock,
): Promise<SessionResult> {
  const { engine, performance: perf } = ctx;
  const limits = { maxStdoutBytes: engine.maxOutputBytes, maxStderrBytes: engine.maxStderrBytes };
  const short = { ...limits, timeoutMs: engine.commandTimeoutS * 1000 };
  const script = `${dir}/miner_payload.py`;
  // stdout as the chunks received, or handed to `onStdout` as they arrive (the proof's is taken that way)
  const runBytes = async (
    args: string,
    timeoutMs: number,
    maxStdoutBytes = engine.maxOutputBytes,
    onStdout?: (chunk: Buffer) => void,
  ) => {
    const t0 = performance.now();
    const command = `${shellQuote(engine.remotePython)} ${shellQuote(script)} ${args}`;
    const options = { ...limits, maxStdoutBytes, timeoutMs };
    const result = await clock.time(() =>
      onStdout === undefined
        ? shell.execBytes(command, options)
        : shell.execStreaming(command, options, (chunk) => clock.own(() => onStdout(chunk))),
    );
    ctx.log.info('pog.command', {
      mode: args.split(' ')[1],
      ms: Math.round(performance.now() - t0),
      code: result.code,
    });
    // D6: stderr is ignored; the exit status and the parsed stdout decide
    if (result.signal !== null) throw new PogMinerError(`payload killed by ${result.signal}`);
    if (result.code === null) throw new PogMinerError('SSH channel ended without an exit status');
    if (result.code !== 0) throw new PogMinerError(`payload exited with status ${result.code}`);
    return result.stdout;
  };
  const run = async (args: string, timeoutMs: number) =>
    Buffer.concat(await runBytes(args, timeoutMs)).toString('utf8');
  const seconds = (t0: number) => (performance.now() - t0) / 1000;

  const expected = createHash('sha256').update(ctx.payload).digest('hex');
  const upload = await clock.time(() =>
    shell.exec(
      `mkdir -p ${shellQuote(dir)} && cat > ${shellQuote(script)} && sha256sum ${shellQuote(script)}`,
      {
        ...short,
        stdin: ctx.payload,
      },
    ),
  );
  if (upload.code !== 0 || upload.stdout.trim().split(/\s+/)[0] !== expected) {
    throw new PogMinerError('payload upload or hash check failed');
  }

  const info = parseMinerJson(await run('--mode gpu_info', short.timeoutMs), GpuInfoSchema, 'gpu_info');
  if (info.num_gpus <= 0) throw new PogMinerError('gpu_info reports no GPU');
  const benchStarted = performance.now();
  const bench = parseMinerJson(
    await run('--mode benchmark', engine.benchmarkTimeoutS * 1000),
    BenchmarkSchema,
    'benchmark',
  );
  const benchmarkS = seconds(benchStarted);
  const numGpus = bench.num_gpus;
  if (numGpus < 1 || numGpus > engine.maxGpus) throw new PogMinerError(`benchmark reports ${numGpus} GPUs`);
  const figures = {
    fp16Tflops: tflops(bench.n16, bench.t16),
    fp32Tflops: tflops(bench.n32, bench.t32),
    vramGb: bench.vram,
  };
  const gpuName = identifyGpu(figures, info.gpu_names[0] ?? null, perf.gpu_performance);
  if (gpuName === null) throw new PogMinerError('GPU not identified');
  // n follows the identified GPU's reference VRAM, not the miner's own figure: a miner claiming a
  // tiny VRAM would otherwise shrink its work while still being identified by its TFLOPS figures.
  // Honest probes report exactly these values, and even n = 29 280 needs only ~10 GB for A, B, C.
  const n = ctx.matrixSize ?? challengeMatrixSize(perf.gpu_performance.GPU_AVRAM[gpuName] ?? bench.vram);
  if (n < 2) throw new PogMinerError('VRAM figure too small');

  // D13: one B for all GPUs, each with its own A. Every C_g = A_g·B is still a full n³ product of its own
  // (the A_g are independent), and the verifier regenerates B, its costliest step, once per bundle.
  const seedB = randomSeed();
  const seeds = Array.from({ length: numGpus }, (_, gpu) => ({ gpu, seedA: randomSeed(), seedB }));
  const toleranceS = engine.timeToleranceS ?? perf.merkle_proof.time_tolerance;
  const budget = computeBudget(perf.gpu_performance, gpuName, n, toleranceS);
  if (budget === null) throw new PogMinerError('GPU has no reference FP32 rate');
  const benchProblem = benchmarkTimingProblem(
    bench,
    benchmarkS,
    perf.gpu_performance.GPU_AVRAM[gpuName] ?? 0,
  );
  if (benchProblem !== null) throw new PogMinerError(benchProblem);
  const deadlineS = budget.deadlineS;
  const runCompute = (args: string, timeoutMs: number) =>
    run(args, timeoutMs).catch((error: unknown) => {
      if (error instanceof PogMinerError && error.message === 'command timed out') {
        throw new PogMinerError('timing check failed: compute ran past its deadline');
      }
      throw error;
    });
  const started = performance.now();
  const computeOut = await runCompute(
    `--mode compute --state-dir ${shellQuote(dir)} --n ${n} --seeds ${seeds.map((s) => `${s.gpu}:${s.seedA}:${s.seedB}`).join(',')}`,
    // past the deadline the attempt fails anyway, so do not wait longer (bounded by the attempt timeout)
    Math.min(deadlineS, engine.attemptTimeoutS) * 1000 + 50,
  );
  const computeS = seconds(started);
  const compute = parseMinerJson(computeOut, ComputeSchema, 'compute');

  const roots = new Map<number, string>();
  for (const [gpu, root] of compute.roots) {
    if (gpu >= numGpus || roots.has(gpu))
      throw new PogMinerError('compute: unknown or repeated GPU in roots');
    roots.set(gpu, root);
  }
  const timed = new Set<number>();
  for (const [gpu, timing] of compute.timings) {
    if (!roots.has(gpu) || timed.has(gpu)) throw new PogMinerError('compute: timings do not match roots');
    if (timing.n !== n) throw new PogMinerError('compute: wrong matrix size');
    timed.add(gpu);
  }
  if (!timed.has(0)) throw new PogMinerError('compute: GPU 0 missing');
  const gpusWithTimings = timed.size;
  const timingProblem = computeTimingProblem(
    computeS,
    budget,
    compute.timings.map(([gpu, t]) => ({
      gpu,
      multiplicationS: t.multiplication_time,
      startS: t.multiplication_start,
      endS: t.multiplication_end,
    })),
  );
  if (timingProblem !== null) throw new PogMinerError(timingProblem);

  const rowCount = Math.min(engine.rowsPerGpu, n);
  const challenges: GpuChallenge[] = [];
  for (const { gpu, seedA, seedB } of seeds) {
    const root = roots.get(gpu);
    if (root === undefined || !timed.has(gpu)) continue;
    challenges.push({ gpu, n, seedA, seedB, root, rows: pickRows(n, rowCount) });
  }
  const spec = challenges.map((c) => `${c.gpu}:${c.rows.join(',')}`).join(';');
  // the ~42 MB of a 16-GPU proof are taken line by line as they arrive, never held whole
  const taker = new ProofTaker(challenges, engine.entriesPerRow);
  const proofStarted = performance.now();
  await runBytes(
    `--mode proof --state-dir ${shellQuote(dir)} --challenge ${shellQuote(spec)}`,
    short.timeoutMs,
    taker.honestOutputBytes,
    (chunk) => taker.push(chunk),
  );
  const proofS = seconds(proofStarted);
  const { gpus, reasons } = taker.finish();
  const required = requiredPasses(gpusWithTimings);
  if (gpus.length < required) {
    throw new PogMinerError(
      `verification failed: ${gpus.length}/${gpusWithTimings} GPUs passed (${reasons[0] ?? 'no proof'})`,
    );
  }
  return {
    gpuName,
    numGpus: gpusWithTimings,
    n,
    gpus,
    timings: { benchmarkS, computeS, proofS, t32: bench.t32, n32: bench.n32 },
    sampled: { passed: gpus.length, total: gpusWithTimings, required },
  };
}
