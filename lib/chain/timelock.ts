import type { ApiPromise } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';

/** drand quicknet, the network subtensor's timelocked commits are sealed to. */
export const QUICKNET = {
  genesisTime: 1692803367,
  periodSeconds: 3,
  chainHash: '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971',
} as const;

export interface RevealRoundInput {
  readonly block: number;
  readonly netuid: number;
  readonly tempo: number;
  readonly revealPeriodEpochs: number;
  /** Wall-clock now, in seconds since the epoch. */
  readonly nowSeconds: number;
  /** Seconds per block (12 on finney). */
  readonly blockTimeSeconds?: number;
}

/**
 * The drand round a timelocked commit is sealed to, with bittensor-drand's legacy epoch arithmetic
 * (chain.md §A.2): the first block of epoch `e + reveal_period`, plus 3 blocks of margin, in drand
 * rounds. What matters on chain is only that the pulse exists when the reveal epoch starts.
 */
export function revealRound(input: RevealRoundInput): number {
  const blockTime = input.blockTimeSeconds ?? 12;
  const { block, netuid, tempo, revealPeriodEpochs } = input;
  const epoch = Math.floor((block + netuid + 1) / (tempo + 1));
  const firstRevealBlock = (epoch + revealPeriodEpochs) * (tempo + 1) - (netuid + 1);
  const targetSeconds = input.nowSeconds + (firstRevealBlock + 3 - block) * blockTime;
  return Math.max(1, Math.floor((targetSeconds - QUICKNET.genesisTime) / QUICKNET.periodSeconds));
}

/**
 * SCALE `WeightsTlockPayload { hotkey: Vec<u8>, uids: Vec<u16>, values: Vec<u16>, version_key: u64 }`,
 * where `hotkey` holds the 32 public-key bytes; the chain decrypts it at the reveal epoch. `legacy`
 * drops the hotkey, as CRv3 runtimes (spec 293) decode it.
 */
export function timelockPayload(
  api: ApiPromise,
  hotkeyPublicKey: Uint8Array,
  uids: readonly number[],
  weights: readonly number[],
  versionKey: number,
  legacy = false,
): Uint8Array {
  if (legacy) return api.createType('(Vec<u16>, Vec<u16>, u64)', [uids, weights, versionKey]).toU8a();
  return (
    api
      // hex, not Uint8Array: polkadot.js reads a Uint8Array for Bytes as already length-prefixed
      .createType('(Bytes, Vec<u16>, Vec<u16>, u64)', [u8aToHex(hotkeyPublicKey), uids, weights, versionKey])
      .toU8a()
  );
}
