import type { Log } from '../log.js';
import type { ChainPort } from '../ports.js';
import type { TimelockEncryptor } from './commit-reveal.js';
import type { CommitStore } from './commit-store.js';
import { connectApi } from './connection.js';
import { SubtensorChain } from './port.js';
import { type ChainHolder, chainHolder } from './reconnect.js';

export { buildWeightCall, type WeightCall, type WeightPlan, weightPath } from './calls.js';
export {
  COMMIT_REVEAL_VERSION,
  checkCommitRevealVersion,
  commitHashV2,
  type TimelockEncryptor,
} from './commit-reveal.js';
export * from './commit-store.js';
export { connectApi, DEFAULT_TIMEOUT_MS, redactEndpoint, withDeadline } from './connection.js';
export { asChainRateLimit, parsePoolRejection } from './error-map.js';
export * from './errors.js';
export { renderIp } from './metagraph.js';
export { hotkeyPair, SubtensorChain, type SubtensorChainOptions } from './port.js';
export { assertChainLimits } from './preflight.js';
export {
  type ChainHolder,
  type ChainHolderOptions,
  chainHolder,
  type SocketChainPort,
} from './reconnect.js';
export type { ValidatorStatus } from './state.js';
export { type EpochClock, QUICKNET, revealRound, revealWindow, timelockPayload } from './timelock.js';
export {
  DrandTimelock,
  parseTle,
  QUICKNET_DST,
  QUICKNET_PUBLIC_KEY,
  roundIdentity,
  serializeGt,
  TimelockError,
  type TleEncryptOptions,
  type TleParts,
  tleDecrypt,
  tleEncrypt,
  verifyBeacon,
} from './tle.js';
export { assertWeightVector, chainMaxUpscale } from './weights.js';

/** Options of the production chain port. The chain issue (#4) may add optional fields, never required ones. */
export interface ChainPortOptions {
  /** WebSocket endpoints, tried in order (fallback). */
  readonly endpoints: readonly string[];
  /** The hotkey as a mnemonic, hex seed or URI, read from Secrets Manager; needed only to submit. */
  readonly hotkeySecret?: string;
  /** Our hotkey's address, for `standing()` on a port without the secret (the sync's preflight). */
  readonly validatorHotkey?: string;
  /** Deadline for every RPC call, in milliseconds. */
  readonly timeoutMs?: number;
  /** Deadline for a submission's inclusion in a block, in milliseconds (default 4 × timeoutMs). */
  readonly inclusionTimeoutMs?: number;
  /** Version key to submit with, instead of the chain's `WeightsVersionKey`. */
  readonly versionKey?: number;
  /** Where pending v2 commits are kept between runs; absent → v2 commits are refused (see port.ts). */
  readonly commitStore?: CommitStore;
  /**
   * Timelocked-commit encryptor for commit-reveal subnets (default: drand quicknet); `false` forces
   * the v2 hash commit and its later reveal (`revealPending`).
   */
  readonly timelock?: TimelockEncryptor | false;
  /** Where the submission steps are logged (secret-free lines). */
  readonly log?: Log;
}

/**
 * Connects the production chain port: the first endpoint that answers wins, every RPC call has a
 * deadline, and the hotkey secret is parsed once (a bad one is a ConfigError without the value).
 * The returned object is a {@link SubtensorChain}; `close()` it in a `finally`.
 */
export async function createChainPort(options: ChainPortOptions): Promise<SubtensorChain & ChainPort> {
  const { api } = await connectApi({ endpoints: options.endpoints, timeoutMs: options.timeoutMs });
  try {
    return new SubtensorChain(api, options.hotkeySecret, options);
  } catch (error) {
    await api.disconnect().catch(() => undefined);
    throw error;
  }
}

/**
 * The production chain port as a warm Lambda keeps it: connected on first use, and reconnected at the
 * start of a tick when the kept socket died since the last one ({@link chainHolder}). Build it once per
 * container and call `connected()` at each tick.
 */
export function createChainHolder(options: ChainPortOptions): ChainHolder<SubtensorChain & ChainPort> {
  return chainHolder(() => createChainPort(options), { timeoutMs: options.timeoutMs });
}
