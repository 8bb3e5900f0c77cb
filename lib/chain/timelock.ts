import type { ApiPromise } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';

/** drand quicknet, the network subtensor's timelocked commits are sealed to. */
export const QUICKNET = {
  genesisTime: 1692803367,
  periodSeconds: 3,
  chainHash: '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971',
} as const;

/**
 * Where the chain stands in its epoch count. `legacy`: the fixed grid every runtime up to about spec 423
 * uses (spec 293 included): `epoch = floor((block + netuid + 1) / (tempo + 1))`. `stateful`: newer
 * runtimes count epochs in `SubnetEpochIndex` and announce the next start
 * (`get_next_epoch_start_block`), so the grid no longer predicts the reveal epoch.
 */
export type EpochClock =
  | { readonly kind: 'legacy' }
  | { readonly kind: 'stateful'; readonly epochIndex: number; readonly nextEpochStartBlock: number };

export interface RevealWindowInput {
  readonly block: number;
  readonly netuid: number;
  readonly tempo: number;
  readonly revealPeriodEpochs: number;
  readonly clock?: EpochClock;
}

/** The epoch a commit at `block` lands in, and the blocks of the epoch the chain reveals it in. */
export interface RevealWindow {
  readonly commitEpoch: number;
  /** Block whose epoch step decrypts it (legacy grid: the block before epoch `commitEpoch + period`). */
  readonly firstBlock: number;
  /** Last block before the following epoch step: by then the chain has revealed it or never will. */
  readonly lastBlock: number;
}

export function revealWindow(input: RevealWindowInput): RevealWindow {
  const { block, netuid, tempo, revealPeriodEpochs } = input;
  const clock = input.clock ?? { kind: 'legacy' };
  const length = tempo + 1;
  if (clock.kind === 'stateful') {
    // epochs after the next one are assumed to last tempo + 1 blocks (an estimate: the runtime may defer one)
    const firstBlock = clock.nextEpochStartBlock + (revealPeriodEpochs - 1) * length;
    return { commitEpoch: clock.epochIndex, firstBlock, lastBlock: firstBlock + length - 1 };
  }
  const commitEpoch = Math.floor((block + netuid + 1) / length);
  // the epoch step that reveals runs in the grid's last block before the reveal epoch (observed on spec 293)
  const firstBlock = gridStart(commitEpoch + revealPeriodEpochs, tempo, netuid) - 1;
  return { commitEpoch, firstBlock, lastBlock: firstBlock + length - 1 };
}

/** First block of grid epoch `epoch` (bittensor-drand's "first reveal block"). */
function gridStart(epoch: number, tempo: number, netuid: number): number {
  return epoch * (tempo + 1) - (netuid + 1);
}

export interface RevealRoundInput extends RevealWindowInput {
  /** Wall-clock now, in seconds since the epoch. */
  readonly nowSeconds: number;
  /** Seconds per block (12 on finney). */
  readonly blockTimeSeconds?: number;
}

/**
 * The drand round a timelocked commit is sealed to: the first block of the reveal epoch (computed as the
 * runtime in use counts epochs, {@link revealWindow}), plus 3 blocks of margin, in drand rounds
 * (bittensor-drand's arithmetic, chain.md §A.2). The pulse must exist on chain when the reveal epoch starts.
 */
export function revealRound(input: RevealRoundInput): number {
  const blockTime = input.blockTimeSeconds ?? 12;
  const window = revealWindow(input);
  // legacy: bittensor-drand's reference block, the grid's first block of the reveal epoch
  const start =
    (input.clock ?? { kind: 'legacy' }).kind === 'legacy'
      ? gridStart(window.commitEpoch + input.revealPeriodEpochs, input.tempo, input.netuid)
      : window.firstBlock;
  const targetSeconds = input.nowSeconds + (start + 3 - input.block) * blockTime;
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
