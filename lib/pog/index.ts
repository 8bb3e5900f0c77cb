import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KeyringPair } from '@polkadot/keyring/types';
import { loadHotkeyPair } from '../clients/secrets.js';
import type { PerformanceConfig } from '../config/gpu-performance.js';
import type { PogChallenge, PogOutcome, PogRunner } from '../ports.js';
import { type PogEngineConfigInput, parsePogEngineConfig } from './config.js';
import { PogInfrastructureError, PogMinerError } from './errors.js';
import { runSession } from './session.js';

export { type PogEngineConfig, type PogEngineConfigInput, parsePogEngineConfig } from './config.js';
export { PogInfrastructureError, PogMinerError } from './errors.js';

/** The payload shipped next to this module (bundlers must copy `payload/miner_payload.py`). */
export const DEFAULT_PAYLOAD_PATH = fileURLToPath(new URL('./payload/miner_payload.py', import.meta.url));

/** Options of the production PoG runner. The PoG issue (#5) may add optional fields, never required ones. */
export interface PogRunnerOptions {
  readonly performance: PerformanceConfig;
  /** The validator hotkey (mnemonic, hex seed or URI): signs the dendrite requests. */
  readonly hotkeySecret: string;
  /** Engine settings (strength, timeouts, limits); defaults in lib/pog/config.ts. */
  readonly engine?: PogEngineConfigInput;
  /** Path of the miner payload; defaults to {@link DEFAULT_PAYLOAD_PATH}. */
  readonly payloadPath?: string;
  /** Structured log sink (never given secrets). */
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
  /** Injected for tests; defaults to a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
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

/**
 * Builds the production PoG runner. `run` resolves with an outcome for every miner fault (a failure
 * row after the retries are spent) and rejects with {@link PogInfrastructureError} only for our own
 * faults (payload unreadable, hotkey unusable, aborted), so the Batch job can exit non-zero and be
 * retried. Engine settings are parsed here, so a bad value fails at construction (ConfigError).
 */
export function createPogRunner(options: PogRunnerOptions): PogRunner {
  const engine = parsePogEngineConfig(options.engine ?? {});
  const log = options.log ?? (() => undefined);
  const sleep = options.sleep ?? defaultSleep;
  const retryLimit = engine.retryLimit ?? options.performance.merkle_proof.pog_retry_limit;
  const retryIntervalS = engine.retryIntervalS ?? options.performance.merkle_proof.pog_retry_interval;
  let keypair: Promise<KeyringPair> | undefined;
  let payload: Buffer | undefined;

  const loadKeypair = async (): Promise<KeyringPair> => {
    try {
      return await loadHotkeyPair(options.hotkeySecret);
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

  return {
    async run(challenge: PogChallenge, signal?: AbortSignal): Promise<PogOutcome> {
      const started = Date.now();
      keypair ??= loadKeypair();
      payload ??= loadPayload();
      const ctx = {
        performance: options.performance,
        engine,
        keypair: await keypair,
        payload,
        log,
        sleep,
        allowPrivateAddresses: options.allowPrivateAddresses === true,
      };
      let lastReason = 'no attempt';
      for (let attempt = 1; attempt <= retryLimit; attempt++) {
        if (signal?.aborted) throw new PogInfrastructureError('PoG run aborted');
        try {
          const controller = new AbortController();
          const result = await withDeadline(
            runSession(challenge, ctx, controller.signal),
            engine.attemptTimeoutS * 1000,
            () => controller.abort(),
          );
          log('pog.attempt.passed', {
            hotkey: challenge.hotkey,
            attempt,
            gpuName: result.gpuName,
            numGpus: result.numGpus,
          });
          return outcome(challenge, started, attempt, result.gpuName, result.numGpus);
        } catch (error) {
          if (error instanceof PogInfrastructureError) throw error;
          lastReason = reasonOf(error);
          const detail =
            error instanceof PogMinerError
              ? undefined
              : String((error as Error)?.stack ?? error).slice(0, 500);
          log('pog.attempt.failed', { hotkey: challenge.hotkey, attempt, reason: lastReason, detail });
        }
        if (attempt < retryLimit) await sleep(retryIntervalS * 1000);
      }
      return { ...outcome(challenge, started, retryLimit, null, null), error: lastReason };
    },
  };
}

function outcome(
  c: PogChallenge,
  started: number,
  attempts: number,
  gpuName: string | null,
  numGpus: number | null,
): PogOutcome {
  return {
    hotkey: c.hotkey,
    uid: c.uid,
    roundId: c.roundId,
    gpuName,
    numGpus,
    attempts,
    durationMs: Date.now() - started,
  };
}

/** Races an attempt against its overall deadline (reference: 300 s per `test_miner_gpu`). */
async function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          onTimeout();
          reject(new PogMinerError('attempt timed out'));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
