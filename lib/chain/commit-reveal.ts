import type { ApiPromise } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import { blake2AsHex } from '@polkadot/util-crypto';
import type {
  RevealOutcome,
  SubnetHyperparams,
  TimelockedCommitRef,
  WeightSubmissionReceipt,
} from '../ports.js';
import { buildWeightCall, timelockPayloadIsLegacy, type WeightCall } from './calls.js';
import type { CommitStore } from './commit-store.js';
import { type ChainContext, currentBlock, hasStorage, rpc, storage, toNumber } from './context.js';
import {
  CommitRevealVersionError,
  DispatchError,
  PoolRejectedError,
  UnsupportedRuntimeError,
} from './errors.js';
import { type SendOptions, sendAndWait } from './submit.js';
import { type EpochClock, revealRound, revealWindow, timelockPayload } from './timelock.js';

/** The only timelocked payload this port builds: `WeightsTlockPayload` v4 (chain.md §A.2). */
export const COMMIT_REVEAL_VERSION = 4;

/** Encrypts a timelocked (v4) weight payload for a drand round; see lib/chain/timelock.ts. */
export interface TimelockEncryptor {
  encrypt(payload: Uint8Array, revealRound: number): Promise<Uint8Array>;
}

/**
 * Refuses a chain whose `CommitRevealWeightsVersion` is not the one implemented: a bumped version would
 * commit payloads that never decrypt. `null`: the runtime has no such storage (CRv3, spec ≤ ~300, whose
 * call takes no version and whose legacy payload is chosen from metadata).
 */
export function checkCommitRevealVersion(chainVersion: number | null): void {
  if (chainVersion !== null && chainVersion !== COMMIT_REVEAL_VERSION) {
    throw new CommitRevealVersionError(chainVersion, COMMIT_REVEAL_VERSION);
  }
}

/** How the runtime in use counts epochs: stateful when it announces the next epoch start, else the grid. */
export async function epochClock(ctx: ChainContext, netuid: number): Promise<EpochClock> {
  const next = ctx.api.call.subnetInfoRuntimeApi?.getNextEpochStartBlock;
  if (next === undefined || !hasStorage(ctx, 'subnetEpochIndex')) return { kind: 'legacy' };
  const [index, start] = await Promise.all([
    rpc(ctx, storage(ctx, 'subnetEpochIndex')(netuid), 'SubnetEpochIndex'),
    rpc(ctx, next(netuid), 'get_next_epoch_start_block'),
  ]);
  const startJson = start.toJSON();
  if (startJson === null) return { kind: 'legacy' };
  return { kind: 'stateful', epochIndex: toNumber(index), nextEpochStartBlock: toNumber(startJson) };
}

/** Seals the vector to the drand round of its reveal epoch and builds the timelocked commit call. */
export async function timelockedCall(
  ctx: ChainContext,
  encryptor: TimelockEncryptor,
  pair: KeyringPair,
  request: { netuid: number; uids: number[]; weights: number[]; versionKey: number },
  hp: SubnetHyperparams,
): Promise<WeightCall> {
  const { netuid, uids, weights, versionKey } = request;
  checkCommitRevealVersion(hasStorage(ctx, 'commitRevealWeightsVersion') ? hp.commitRevealVersion : null);
  const [block, clock] = await Promise.all([currentBlock(ctx), epochClock(ctx, netuid)]);
  // the extrinsic lands in the next block
  const input = {
    block: block + 1,
    netuid,
    tempo: hp.tempo,
    revealPeriodEpochs: hp.revealPeriodEpochs,
    clock,
  };
  const round = revealRound({ ...input, nowSeconds: Date.now() / 1000 });
  const legacy = timelockPayloadIsLegacy(ctx.api);
  const payload = timelockPayload(ctx.api, pair.publicKey, uids, weights, versionKey, legacy);
  const ciphertext = await encryptor.encrypt(payload, round);
  return buildWeightCall(ctx.api, netuid, uids, weights, versionKey, {
    kind: 'timelocked-commit',
    ciphertext,
    revealRound: round,
    commitRevealVersion: COMMIT_REVEAL_VERSION,
  });
}

/** The reveal window of a commit included at `blockNumber` (blockHash: the epoch index there, if stateful). */
export async function windowOfInclusion(
  ctx: ChainContext,
  netuid: number,
  hp: SubnetHyperparams,
  blockNumber: number,
  blockHash: string,
): Promise<NonNullable<WeightSubmissionReceipt['revealWindow']>> {
  let clock: EpochClock = { kind: 'legacy' };
  const next = ctx.api.call.subnetInfoRuntimeApi?.getNextEpochStartBlock;
  if (next !== undefined && hasStorage(ctx, 'subnetEpochIndex')) {
    const at = await rpc(ctx, ctx.api.at(blockHash), 'state at inclusion');
    const [index, start] = await Promise.all([
      rpc(ctx, storage(ctx, 'subnetEpochIndex', at)(netuid), 'SubnetEpochIndex'),
      rpc(
        ctx,
        (at.call.subnetInfoRuntimeApi?.getNextEpochStartBlock ?? next)(netuid),
        'get_next_epoch_start_block',
      ),
    ]);
    const startJson = start.toJSON();
    if (startJson !== null)
      clock = { kind: 'stateful', epochIndex: toNumber(index), nextEpochStartBlock: toNumber(startJson) };
  }
  return revealWindow({
    block: blockNumber,
    netuid,
    tempo: hp.tempo,
    revealPeriodEpochs: hp.revealPeriodEpochs,
    clock,
  });
}

/**
 * Commit-reveal v2 hash: blake2-256 of SCALE `(AccountId32, u16 storage index, Vec<u16> uids,
 * Vec<u16> values, Vec<u16> salt, u64 version_key)` (chain.md §A.2, checked against the runtime).
 */
export function commitHashV2(
  api: ApiPromise,
  hotkey: string,
  netuidIndex: number,
  uids: readonly number[],
  weights: readonly number[],
  salt: readonly number[],
  versionKey: number,
): string {
  const bytes = api
    .createType('(AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)', [
      hotkey,
      netuidIndex,
      uids,
      weights,
      salt,
      versionKey,
    ])
    .toU8a();
  return blake2AsHex(bytes, 256);
}

/** Builds a v2 hash commit and stores its preimage first (an uncertain outcome must stay revealable). */
export async function hashCommitCall(
  ctx: ChainContext,
  store: CommitStore,
  pair: KeyringPair,
  request: { netuid: number; uids: number[]; weights: number[]; versionKey: number },
): Promise<WeightCall> {
  const { netuid, uids, weights, versionKey } = request;
  const salt = Array.from(crypto.getRandomValues(new Uint16Array(8)));
  const commitHash = commitHashV2(ctx.api, pair.address, netuid, uids, weights, salt, versionKey);
  // built before storing, so a runtime without the call leaves no orphan in the store
  const call = buildWeightCall(ctx.api, netuid, uids, weights, versionKey, { kind: 'commit', commitHash });
  await store.put({
    netuid,
    hotkey: pair.address,
    commitHash,
    uids,
    weights,
    salt,
    versionKey,
    committedAtBlock: await currentBlock(ctx),
  });
  return call;
}

/**
 * Reveals this hotkey's stored v2 commits whose window is open. Commits the chain no longer holds
 * (revealed, expired, never included) are dropped from the store; commits not yet due stay. The caller
 * holds the hotkey's submission slot.
 */
export async function revealPending(
  ctx: ChainContext,
  store: CommitStore,
  send: SendOptions,
  pair: KeyringPair,
  netuid: number,
): Promise<WeightSubmissionReceipt[]> {
  const pending = await store.list(netuid, pair.address);
  if (pending.length === 0) return [];
  const tx = ctx.api.tx.subtensorModule;
  if (tx?.revealMechanismWeights === undefined && tx?.revealWeights === undefined)
    throw new UnsupportedRuntimeError('the runtime has no reveal call');
  const queue = (await rpc(
    ctx,
    storage(ctx, 'weightCommits')(netuid, pair.address),
    'WeightCommits',
  )) as unknown as {
    toJSON(): Array<[string, number, number, number]> | null;
  };
  const onChain = queue.toJSON() ?? [];
  const next = (await currentBlock(ctx)) + 1;
  const receipts: WeightSubmissionReceipt[] = [];
  for (const p of pending) {
    const entry = onChain.find((c) => c[0] === p.commitHash);
    if (entry === undefined) {
      await store.delete(netuid, p.hotkey, p.commitHash);
      continue;
    }
    // spec-293 tuples carry the window (hash, commit, first, last); HEAD's carry an epoch (last = 0)
    const [, , first, last] = entry;
    if (last !== 0 && next < first) continue;
    if (last !== 0 && next > last) {
      await store.delete(netuid, p.hotkey, p.commitHash);
      continue;
    }
    const chosen = buildWeightCall(ctx.api, netuid, p.uids, p.weights, p.versionKey, {
      kind: 'reveal',
      salt: p.salt,
    });
    try {
      receipts.push(await sendAndWait(ctx, send, pair, chosen, [...p.uids], [...p.weights], p.versionKey));
      await store.delete(netuid, p.hotkey, p.commitHash);
    } catch (error) {
      // too early: keep it for the next run (HEAD rejects this in the pool, Custom(17))
      if (error instanceof DispatchError && error.errorName === 'RevealTooEarly') continue;
      if (error instanceof PoolRejectedError && error.customCode === 17) continue;
      // a definite refusal (expired, hash mismatch, no such commit) will not get better later
      if (error instanceof DispatchError || error instanceof PoolRejectedError) {
        await store.delete(netuid, p.hotkey, p.commitHash);
      }
      throw error;
    }
  }
  return receipts;
}

/** Our timelocked commits still queued for `commitEpoch` at a block (spec 293: CRV3WeightCommits). */
async function queuedAt(
  ctx: ChainContext,
  netuid: number,
  hotkey: string,
  epoch: number,
  block: number,
): Promise<number> {
  const name = hasStorage(ctx, 'timelockedWeightCommits') ? 'timelockedWeightCommits' : 'crv3WeightCommits';
  if (!hasStorage(ctx, name))
    throw new UnsupportedRuntimeError('the runtime has no timelocked commit storage');
  const hash = await rpc(ctx, ctx.api.rpc.chain.getBlockHash(block), 'chain_getBlockHash');
  const at = await rpc(ctx, ctx.api.at(hash), 'state at block');
  const queue = (await rpc(ctx, storage(ctx, name, at)(netuid, epoch), name)).toJSON() as unknown[][] | null;
  return (queue ?? []).filter((entry) => String(entry[0]) === hotkey).length;
}

/** Our reveal events (`TimelockedWeightsRevealed` / `CRV3WeightsRevealed`) in one block. */
async function revealEventsAt(
  ctx: ChainContext,
  netuid: number,
  hotkey: string,
  block: number,
): Promise<number> {
  const hash = await rpc(ctx, ctx.api.rpc.chain.getBlockHash(block), 'chain_getBlockHash');
  const at = await rpc(ctx, ctx.api.at(hash), 'state at block');
  const read = at.query.system?.events;
  if (read === undefined) throw new UnsupportedRuntimeError('the runtime has no System.Events');
  const events = (await rpc(ctx, read(), 'System.Events')) as unknown as Array<{
    event: { section: string; method: string; data: unknown[] };
  }>;
  return events.filter(({ event }) => {
    if (event.section !== 'subtensorModule') return false;
    if (event.method !== 'TimelockedWeightsRevealed' && event.method !== 'CRV3WeightsRevealed') return false;
    return toNumber(event.data[0]) === netuid && String(event.data[1]) === hotkey;
  }).length;
}

/** First block in [lo, hi] where `test` holds (it must stay true after), or hi + 1. */
async function firstBlockWhere(
  lo: number,
  hi: number,
  test: (b: number) => Promise<boolean>,
): Promise<number> {
  let a = lo;
  let b = hi + 1;
  while (a < b) {
    const mid = Math.floor((a + b) / 2);
    if (await test(mid)) b = mid;
    else a = mid + 1;
  }
  return a;
}

/**
 * Whether the chain revealed a batch of our timelocked commits: pending while the batch is queued and its
 * reveal epoch not over; else the reveal events counted in the blocks where the batch left the queue
 * (found by bisection, a dozen reads rather than an epoch's worth of blocks).
 */
export async function revealOutcome(
  ctx: ChainContext,
  hotkey: string,
  netuid: number,
  ref: TimelockedCommitRef,
): Promise<RevealOutcome> {
  const head = await currentBlock(ctx);
  if (head < ref.firstBlock) return { status: 'pending' };
  const queuedNow = await queuedAt(ctx, netuid, hotkey, ref.commitEpoch, head);
  if (queuedNow > 0 && head <= ref.lastBlock) return { status: 'pending' };
  const lo = ref.lastCommitBlock;
  const firstProcessed = await firstBlockWhere(
    lo,
    head,
    async (b) => (await queuedAt(ctx, netuid, hotkey, ref.commitEpoch, b)) < ref.count,
  );
  const allProcessed = await firstBlockWhere(
    firstProcessed,
    head,
    async (b) => (await queuedAt(ctx, netuid, hotkey, ref.commitEpoch, b)) === 0,
  );
  let revealed = 0;
  for (let b = firstProcessed; b <= Math.min(allProcessed, head, firstProcessed + 64); b++) {
    revealed += await revealEventsAt(ctx, netuid, hotkey, b);
  }
  return { status: 'done', revealed: Math.min(revealed, ref.count) };
}
