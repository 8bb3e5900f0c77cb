import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import { u8aToHex } from '@polkadot/util';
import type { WeightSubmissionReceipt } from '../ports.js';
import { UnsupportedRuntimeError } from './errors.js';

/** What is to be sent for one weight vector; the call is chosen from live metadata. */
export type WeightPlan =
  | { readonly kind: 'set' }
  | { readonly kind: 'commit'; readonly commitHash: string }
  | { readonly kind: 'reveal'; readonly salt: readonly number[] }
  | {
      readonly kind: 'timelocked-commit';
      /** Raw ciphertext bytes (sent as `BoundedVec<u8, 5000>`; polkadot.js would read a Uint8Array as pre-encoded). */
      readonly ciphertext: Uint8Array;
      readonly revealRound: number;
      readonly commitRevealVersion: number;
    };

export interface WeightCall {
  readonly kind: WeightSubmissionReceipt['kind'];
  /** The pallet call's name as metadata spells it, e.g. `set_mechanism_weights`. */
  readonly call: string;
  readonly tx: SubmittableExtrinsic<'promise'>;
  /** The drand round a timelocked commit is sealed to. */
  readonly revealRound?: number;
}

/**
 * Whether the runtime's timelocked reveal decodes the legacy payload without hotkey (CRv3 only,
 * spec ≤ ~300) rather than `WeightsTlockPayload { hotkey, … }`.
 */
export function timelockPayloadIsLegacy(api: ApiPromise): boolean {
  const tx = api.tx.subtensorModule;
  return (
    tx?.commitTimelockedMechanismWeights === undefined &&
    tx?.commitTimelockedWeights === undefined &&
    tx?.commitCrv3Weights !== undefined
  );
}

/**
 * Which path a vector takes: a plain set when commit-reveal is off; when on, the timelocked commit if
 * the runtime has it and an encryptor is configured, else the v2 hash commit.
 */
export function weightPath(
  api: ApiPromise,
  commitRevealEnabled: boolean,
  hasEncryptor: boolean,
): 'set' | 'commit' | 'timelocked-commit' {
  if (!commitRevealEnabled) return 'set';
  const tx = api.tx.subtensorModule;
  const timelocked =
    tx?.commitTimelockedMechanismWeights ?? tx?.commitTimelockedWeights ?? tx?.commitCrv3Weights;
  if (timelocked !== undefined && hasEncryptor) return 'timelocked-commit';
  if (tx?.commitMechanismWeights === undefined && tx?.commitWeights === undefined) {
    throw new UnsupportedRuntimeError('commit-reveal is on but the runtime has no usable commit call');
  }
  return 'commit';
}

/**
 * Builds the extrinsic for a plan on mechanism 0, preferring the mechanism variant when the runtime
 * has it (spec ≥ ~330) and the legacy call otherwise (spec 293). Never hard-codes call indices.
 */
export function buildWeightCall(
  api: ApiPromise,
  netuid: number,
  uids: readonly number[],
  weights: readonly number[],
  versionKey: number,
  plan: WeightPlan,
): WeightCall {
  const tx = api.tx.subtensorModule;
  if (tx === undefined) throw new UnsupportedRuntimeError('the runtime has no SubtensorModule calls');
  const u = [...uids];
  const w = [...weights];
  const missing = (what: string): never => {
    throw new UnsupportedRuntimeError(`the runtime has no ${what} call`);
  };
  switch (plan.kind) {
    case 'set':
      if (tx.setMechanismWeights !== undefined) {
        return {
          kind: 'set',
          call: 'set_mechanism_weights',
          tx: tx.setMechanismWeights(netuid, 0, u, w, versionKey),
        };
      }
      if (tx.setWeights !== undefined) {
        return { kind: 'set', call: 'set_weights', tx: tx.setWeights(netuid, u, w, versionKey) };
      }
      return missing('set_weights');
    case 'commit':
      if (tx.commitMechanismWeights !== undefined) {
        return {
          kind: 'commit',
          call: 'commit_mechanism_weights',
          tx: tx.commitMechanismWeights(netuid, 0, plan.commitHash),
        };
      }
      if (tx.commitWeights !== undefined) {
        return { kind: 'commit', call: 'commit_weights', tx: tx.commitWeights(netuid, plan.commitHash) };
      }
      return missing('commit_weights');
    case 'reveal': {
      const salt = [...plan.salt];
      if (tx.revealMechanismWeights !== undefined) {
        return {
          kind: 'reveal',
          call: 'reveal_mechanism_weights',
          tx: tx.revealMechanismWeights(netuid, 0, u, w, salt, versionKey),
        };
      }
      if (tx.revealWeights !== undefined) {
        return {
          kind: 'reveal',
          call: 'reveal_weights',
          tx: tx.revealWeights(netuid, u, w, salt, versionKey),
        };
      }
      return missing('reveal_weights');
    }
    case 'timelocked-commit':
      if (tx.commitTimelockedMechanismWeights !== undefined) {
        return {
          kind: 'timelocked-commit',
          call: 'commit_timelocked_mechanism_weights',
          revealRound: plan.revealRound,
          tx: tx.commitTimelockedMechanismWeights(
            netuid,
            0,
            u8aToHex(plan.ciphertext),
            plan.revealRound,
            plan.commitRevealVersion,
          ),
        };
      }
      if (tx.commitTimelockedWeights !== undefined) {
        return {
          kind: 'timelocked-commit',
          call: 'commit_timelocked_weights',
          revealRound: plan.revealRound,
          tx: tx.commitTimelockedWeights(
            netuid,
            u8aToHex(plan.ciphertext),
            plan.revealRound,
            plan.commitRevealVersion,
          ),
        };
      }
      // spec ≤ ~300: CRv3, no version argument, and the runtime expects the payload without hotkey
      if (tx.commitCrv3Weights !== undefined) {
        return {
          kind: 'timelocked-commit',
          call: 'commit_crv3_weights',
          revealRound: plan.revealRound,
          tx: tx.commitCrv3Weights(netuid, u8aToHex(plan.ciphertext), plan.revealRound),
        };
      }
      return missing('commit_timelocked_weights');
  }
}
