import { PogValidatorError } from '../errors.js';

/**
 * The chain layer's error family. Handlers map these by class: a rate limit or an in-flight
 * submission means "try next run", a dispatch or pool rejection is a recorded failure, a timeout or
 * connection error may be retried with another endpoint. Messages never carry the hotkey secret.
 */
export class ChainError extends PogValidatorError {}

/** An RPC call, subscription or inclusion wait passed its deadline. */
export class ChainTimeoutError extends ChainError {}

/** No endpoint could be reached, or the websocket dropped mid-call. */
export class ChainConnectionError extends ChainError {}

/** A value read from the chain did not have the expected shape. */
export class ChainDecodeError extends ChainError {}

/** The validator's hotkey is not registered on the subnet (pre-flight). */
export class NotRegisteredError extends ChainError {}

/** The validator has no validator permit and the vector is not a self-weight (pre-flight). */
export class NoValidatorPermitError extends ChainError {}

/** The validator's stake is below `StakeThreshold` (pre-flight). */
export class InsufficientStakeError extends ChainError {}

/**
 * Weights were set or committed too recently, by our rule or the chain's own check (the class is the
 * chain port's contract, so it lives beside the port in lib/ports.ts).
 */
export { RateLimitedError } from '../ports.js';

/** Another submission for the same hotkey is still in flight in this process. */
export class SubmissionInProgressError extends ChainError {}

/** The weight vector itself is unusable (lengths, duplicates, ranges). */
export class InvalidWeightsError extends ChainError {}

/**
 * A vector the chain would reject for `MinAllowedWeights` or `MaxWeightsLimit`, refused before
 * signing (under commit-reveal the reveal would fail silently, hours later).
 */
export class WeightLimitsError extends InvalidWeightsError {}

/** The runtime lacks what the chosen path needs (e.g. commit-reveal on, no usable commit call). */
export class UnsupportedRuntimeError extends ChainError {}

/** The runtime asks for a `CommitRevealWeightsVersion` whose payload this port does not build. */
export class CommitRevealVersionError extends UnsupportedRuntimeError {
  constructor(
    readonly chainVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      `the chain's CommitRevealWeightsVersion is ${chainVersion}; this validator implements version ${supportedVersion} only, so a commit would never decrypt`,
    );
  }
}

/** The extrinsic was included but failed; `errorName` is the pallet error decoded through metadata. */
export class DispatchError extends ChainError {
  constructor(
    message: string,
    readonly pallet: string,
    readonly errorName: string,
    readonly blockHash?: string,
  ) {
    super(message);
  }
}

/** Pool codes of `InvalidTransaction::Custom` (subtensor `common/src/transaction_error.rs`). */
export const POOL_CUSTOM_CODES: Readonly<Record<number, string>> = {
  1: 'NotEnoughStakeToSetWeights',
  6: 'SettingWeightsTooFast',
  15: 'RevealRoundInPast',
  16: 'NoWeightsCommitFound',
  17: 'RevealTooEarly',
  18: 'InputLengthsUnequal',
  255: 'Other',
};

/** The transaction pool refused the extrinsic (RPC error 1010); `customCode` when it is `Custom(n)`. */
export class PoolRejectedError extends ChainError {
  constructor(
    message: string,
    readonly customCode: number | null,
    readonly reason: string,
  ) {
    super(message);
  }
}
