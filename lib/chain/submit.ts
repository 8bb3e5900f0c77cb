import type { KeyringPair } from '@polkadot/keyring/types';
import type { ISubmittableResult } from '@polkadot/types/types';
import type { Log } from '../log.js';
import type { WeightSubmissionReceipt } from '../ports.js';
import type { WeightCall } from './calls.js';
import { withDeadline } from './connection.js';
import { type ChainContext, guardDisconnect, rpc } from './context.js';
import { decodeDispatchError, parsePoolRejection, toChainError } from './error-map.js';
import { PoolRejectedError, SubmissionInProgressError } from './errors.js';

// One submission per hotkey per process: two concurrent extrinsics would race on the nonce and on the
// rate limit, and the second could be counted although the first was the one included.
const inFlight = new Set<string>();

/** Runs `work` holding the hotkey's submission slot, or refuses at once when another holds it. */
export async function withSubmissionSlot<T>(hotkey: string, work: () => Promise<T>): Promise<T> {
  if (inFlight.has(hotkey)) {
    throw new SubmissionInProgressError(`a weight submission for ${hotkey} is already in flight`);
  }
  inFlight.add(hotkey);
  try {
    return await work();
  } finally {
    inFlight.delete(hotkey);
  }
}

export interface SendOptions {
  readonly inclusionMs: number;
  readonly log?: Log | undefined;
}

/** Signs, submits once, and waits for inclusion; never resubmits (an uncertain outcome is an error). */
export async function sendAndWait(
  ctx: ChainContext,
  options: SendOptions,
  pair: KeyringPair,
  chosen: WeightCall,
  uids: number[],
  weights: number[],
  versionKey: number,
): Promise<WeightSubmissionReceipt> {
  const { api } = ctx;
  let unsubscribe: (() => void) | undefined;
  const included = new Promise<{ blockHash: string; extrinsicHash: string }>((done, fail) => {
    const onStatus = (result: ISubmittableResult): void => {
      const { status } = result;
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        fail(new PoolRejectedError(`extrinsic ${status.type} by the pool`, null, status.type));
        return;
      }
      if (!status.isInBlock && !status.isFinalized) return;
      const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
      if (result.dispatchError !== undefined) {
        fail(decodeDispatchError(api, result.dispatchError, chosen.call, blockHash));
        return;
      }
      done({ blockHash, extrinsicHash: result.txHash.toHex() });
    };
    chosen.tx
      .signAndSend(pair, { nonce: -1 }, onStatus)
      .then((unsub) => {
        unsubscribe = unsub;
      })
      .catch((error: unknown) => fail(parsePoolRejection(error) ?? toChainError(error, chosen.call)));
  });
  try {
    options.log?.info('submitting weights', { call: chosen.call, uids: uids.length });
    const what = `inclusion of ${chosen.call}`;
    const { blockHash, extrinsicHash } = await guardDisconnect(
      api,
      withDeadline(included, options.inclusionMs, what),
      what,
    );
    const header = await rpc(ctx, api.rpc.chain.getHeader(blockHash), 'chain_getHeader');
    options.log?.info('weights included', { call: chosen.call, blockHash });
    return {
      kind: chosen.kind,
      call: chosen.call,
      blockHash,
      blockNumber: header.number.toNumber(),
      extrinsicHash,
      uids,
      weights,
      versionKey,
      ...(chosen.revealRound === undefined ? {} : { revealRound: chosen.revealRound }),
    };
  } finally {
    try {
      unsubscribe?.();
    } catch {
      // the socket may already be gone; nothing left to release
    }
  }
}
