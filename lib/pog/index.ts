import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KeyringPair } from '@polkadot/keyring/types';
import { loadHotkeyPair } from '../clients/secrets.js';
import type { PerformanceConfig } from '../config/gpu-performance.js';
import { type Log, silentLog } from '../log.js';
import type { PogOutcome, PogRunner } from '../ports.js';
import type { PogChallenge } from '../queue/challenge.js';
import { type PogEngineConfigInput, parsePogEngineConfig, sessionCleanupS } from './config.js';
import { PogInfrastructureError, PogMinerError } from './errors.js';
import { type AllocationLedger, MinerClock, runSession, type SessionResult } from './session.js';

export { type PogEngineConfig, type PogEngineConfigInput, parsePogEngineConfig } from './config.js';
export { PogInfrastructureError, PogMinerError } from './errors.js';
export type { AllocationLedger, AttemptTimings, GpuProof, SessionResult } from './session.js';

/** The payload shipped next to this module (bundlers must copy `payload/miner_payload.py`). */
export const DEFAULT_PAYLOAD_PATH = fileURLToPath(new URL('./payload/miner_payload.py', import.meta.url));

/** Options of the production PoG runner. The PoG issue (#5) may add optional fields, never required ones. */
export interface PogRunnerOptions {
  /**
   * The GPU tables. A function is called at every attempt (the live tables of
   * lib/config/live-performance.ts, cached there), so an operator's update reaches running workers.
   */
  readonly performance: PerformanceConfig | (() => Promise<PerformanceConfig>);
  /**
   * The validator hotkey (mnemonic, hex seed or URI): signs the dendrite requests. A function is
   * called at the first attempt (e.g. a Secrets Manager read), and again after it failed.
   */
  readonly hotkeySecret: string | (() => Promise<string>);
  /** Engine settings (strength, timeouts, limits); defaults in lib/pog/config.ts. */
  readonly engine?: PogEngineConfigInput;
  /** Path of the miner payload; defaults to {@link DEFAULT_PAYLOAD_PATH}. */
  readonly payloadPath?: string;
  /** Structured log sink (never given secrets). */
  readonly log?: Log;
  /** Waits between deallocation tries; injected for tests, defaults to a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Simulation only (the local harness and tests): fixes n instead of deriving it from the
   * identified GPU's VRAM. Not a deploy setting; production never passes it.
   */
  readonly matrixSize?: number;
  /** Harness only: lets the runner contact simulated miners on 127.0.0.1. Production never sets it. */
  readonly allowPrivateAddresses?: boolean;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A short, secret-free reason for a failure row. */
function reasonOf(error: unknown): string {
  if (error instanceof PogMinerError) return error.message.slice(0, 200);
  const e = error instanceof Error ? error : new Error(String(error));
  return `unexpected ${e.name}`.slice(0, 200);
}

/** An attempt's wall time, and the part of it spent waiting on the miner ({@link MinerClock}). */
interface AttemptTime {
  readonly durationMs: number;
  readonly minerMs: number;
}

/** The end of one attempt: the proof bundle's data, or the miner fault that ended it. */
export type AttemptResult =
  | ({ readonly kind: 'passed'; readonly proof: SessionResult } & AttemptTime)
  | ({ readonly kind: 'miner-fault'; readonly reason: string } & AttemptTime);

/** Runs ONE attempt per call; retries are the caller's (the worker's SQS redelivery). */
export interface PogAttemptRunner extends PogRunner {
  /**
   * One attempt under the engine's attempt deadline. Resolves for every miner fault; rejects with
   * {@link PogInfrastructureError} only for our own faults (payload unreadable, hotkey unusable,
   * aborted before it started).
   */
  attempt(challenge: PogChallenge, signal?: AbortSignal, ledger?: AllocationLedger): Promise<AttemptResult>;
}

/**
 * Builds the production PoG runner. Engine settings are parsed here, so a bad value fails at
 * construction (ConfigError). There is no retry loop and no sleeping between attempts: one call is
 * one attempt.
 */
export function createPogRunner(options: PogRunnerOptions): PogAttemptRunner {
  const engine = parsePogEngineConfig(options.engine ?? {});
  const log = options.log ?? silentLog;
  const sleep = options.sleep ?? defaultSleep;
  let keypair: Promise<KeyringPair> | undefined;
  let payload: Buffer | undefined;

  const loadKeypair = async (): Promise<KeyringPair> => {
    let secret: string;
    try {
      secret =
        typeof options.hotkeySecret === 'function' ? await options.hotkeySecret() : options.hotkeySecret;
    } catch (error) {
      throw new PogInfrastructureError('the validator hotkey secret could not be read', { cause: error });
    }
    try {
      return await loadHotkeyPair(secret);
    } catch (error) {
      throw new PogInfrastructureError('the validator hotkey secret is unusable', { cause: error });
    }
  };
  const loadPayload = (): Buffer => {
    const path = options.payloadPath ?? DEFAULT_PAYLOAD_PATH;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new PogInfrastructureError(`cannot read the miner payload at ${path}`, { cause: error });
    }
  };

  const loadPerformance = async (): Promise<PerformanceConfig> => {
    if (typeof options.performance !== 'function') return options.performance;
    try {
      return await options.performance();
    } catch (error) {
      throw new PogInfrastructureError('the GPU tables could not be read', { cause: error });
    }
  };

  const attempt = async (
    challenge: PogChallenge,
    signal?: AbortSignal,
    ledger?: AllocationLedger,
  ): Promise<AttemptResult> => {
    const started = Date.now();
    const minerClock = new MinerClock();
    const time = (): AttemptTime => ({
      durationMs: Date.now() - started,
      minerMs: Math.round(minerClock.ms),
    });
    keypair ??= loadKeypair().catch((error: unknown) => {
      keypair = undefined;
      throw error;
    });
    payload ??= loadPayload();
    const performance = await loadPerformance();
    const ctx = {
      performance,
      engine,
      keypair: await keypair,
      payload,
      log,
      sleep,
      allowPrivateAddresses: options.allowPrivateAddresses === true,
      minerClock,
      ...(options.matrixSize !== undefined ? { matrixSize: options.matrixSize } : {}),
    };
    if (signal?.aborted) throw new PogInfrastructureError('PoG run aborted');
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const proof = await withDeadline(
        runSession(challenge, ctx, controller.signal, ledger),
        engine.attemptTimeoutS * 1000,
        () => controller.abort(),
        sessionCleanupS(engine) * 1000,
      );
      log.info('pog.attempt.passed', {
        hotkey: challenge.hotkey,
        gpuName: proof.gpuName,
        numGpus: proof.numGpus,
      });
      return { kind: 'passed', proof, ...time() };
    } catch (error) {
      if (error instanceof PogInfrastructureError) throw error;
      const reason = reasonOf(error);
      const detail =
        error instanceof PogMinerError ? undefined : String((error as Error)?.stack ?? error).slice(0, 500);
      log.info('pog.attempt.failed', { hotkey: challenge.hotkey, reason, detail });
      return { kind: 'miner-fault', reason, ...time() };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };

  return {
    attempt,
    /** One attempt judged by the quick sampled check alone (kept for callers of {@link PogRunner}). */
    async run(challenge: PogChallenge, signal?: AbortSignal): Promise<PogOutcome> {
      const result = await attempt(challenge, signal);
      const base = {
        hotkey: challenge.hotkey,
        uid: challenge.uid,
        roundId: challenge.roundId,
        attempts: 1,
        durationMs: result.durationMs,
      };
      return result.kind === 'passed'
        ? { ...base, gpuName: result.proof.gpuName, numGpus: result.proof.numGpus }
        : { ...base, gpuName: null, numGpus: null, error: result.reason };
    },
  };
}

/**
 * Races an attempt against its overall deadline (reference: 300 s per `test_miner_gpu`). At the deadline
 * the session is aborted, and its clean-up (deallocation) gets up to `cleanupMs` to finish before the
 * attempt ends: in a Lambda, work still in flight when the invocation returns is frozen, and a miner left
 * allocated answers "busy" to every validator until its allocation's timeline runs out.
 */
async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => void,
  cleanupMs: number,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let cleanupTimer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  try {
    const first = await Promise.race([
      settled,
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), ms);
      }),
    ]);
    if (first !== null) {
      if ('error' in first) throw first.error;
      return first.value;
    }
    onTimeout();
    // past the deadline the attempt has failed whatever the session does now; only its clean-up is awaited
    await Promise.race([
      settled,
      new Promise<void>((resolve) => {
        cleanupTimer = setTimeout(resolve, cleanupMs);
      }),
    ]);
    throw new PogMinerError('attempt timed out');
  } finally {
    clearTimeout(timer);
    clearTimeout(cleanupTimer);
  }
}
