import { nextWeightsBlock, type SubnetHyperparams } from '../ports.js';
import {
  InsufficientStakeError,
  NotRegisteredError,
  NoValidatorPermitError,
  RateLimitedError,
  WeightLimitsError,
} from './errors.js';
import type { ValidatorStatus } from './state.js';

const U16_MAX = 65535;

/**
 * The chain's length and cap checks on a u16 vector, as spec 293 makes them (`WeightVecLengthIsLow`:
 * fewer entries than `min(n, MinAllowedWeights)`; `MaxWeightExceeded`: an entry's share above
 * `MaxWeightsLimit / 65535`), both waived for a self-weight. The pipeline shapes vectors with bittensor's
 * `process_weights` first; what still fails here cannot satisfy the limits and is refused.
 */
export function assertChainLimits(
  uids: readonly number[],
  weights: readonly number[],
  subnetSize: number,
  hp: Pick<SubnetHyperparams, 'minAllowedWeights' | 'maxWeightsLimit'>,
  ownUid: number | null,
): void {
  if (uids.length === 1 && uids[0] === ownUid) return;
  const minimum = Math.min(subnetSize, hp.minAllowedWeights);
  if (uids.length < minimum) {
    throw new WeightLimitsError(
      `the vector has ${uids.length} entries; the subnet's MinAllowedWeights asks for ${minimum} (of ${subnetSize} uids)`,
    );
  }
  if (hp.maxWeightsLimit >= U16_MAX || weights.length === 0) return;
  const sum = weights.reduce((a, b) => a + b, 0);
  const top = weights.reduce((a, b) => Math.max(a, b), 0);
  const limit = hp.maxWeightsLimit / U16_MAX;
  if (sum > 0 && top / sum > limit + 1e-9) {
    throw new WeightLimitsError(
      `the largest weight is ${(top / sum).toFixed(4)} of the vector; MaxWeightsLimit allows ${limit.toFixed(4)} (${hp.maxWeightsLimit}/65535)`,
    );
  }
}

/**
 * Submit-path preflight: registered, permit (unless a self-weight or the owner), stake weight against
 * `StakeThreshold`, and the rate limit (the port contract's one rule, {@link nextWeightsBlock}).
 */
export function assertCanSubmit(
  status: ValidatorStatus,
  netuid: number,
  uids: readonly number[],
  head: number,
  rateLimit: number,
): void {
  if (status.uid === null) {
    throw new NotRegisteredError(`hotkey ${status.hotkey} is not registered on subnet ${netuid}`);
  }
  const selfWeight = uids.length === 1 && uids[0] === status.uid;
  if (status.problems.includes('no-validator-permit') && !selfWeight) {
    throw new NoValidatorPermitError(`uid ${status.uid} on subnet ${netuid} has no validator permit`);
  }
  if (status.problems.includes('stake-below-threshold')) {
    throw new InsufficientStakeError(
      `uid ${status.uid} stake weight ${status.stake} TAO is below the weights threshold ${status.stakeThreshold} TAO`,
    );
  }
  const next = nextWeightsBlock(status.lastUpdate, rateLimit);
  if (head < next) {
    throw new RateLimitedError(
      `uid ${status.uid} set weights at block ${status.lastUpdate}; the subnet allows one per ${rateLimit} blocks`,
      next,
      'preflight',
    );
  }
}
