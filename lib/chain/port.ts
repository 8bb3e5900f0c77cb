import type { ApiPromise } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import { parseHotkeySecret } from '../clients/secrets.js';
import { ConfigError } from '../errors.js';
import type { Log } from '../log.js';
import {
  type ChainPort,
  type Metagraph,
  nextWeightsBlock,
  type RevealOutcome,
  type SubnetHyperparams,
  type TimelockedCommitRef,
  type ValidatorStanding,
  type WeightSubmissionReceipt,
  type WeightSubmissionRequest,
} from '../ports.js';
import { buildWeightCall, type WeightCall, weightPath } from './calls.js';
import {
  hashCommitCall,
  revealOutcome,
  revealPending,
  type TimelockEncryptor,
  timelockedCall,
  windowOfInclusion,
} from './commit-reveal.js';
import type { CommitStore } from './commit-store.js';
import { DEFAULT_TIMEOUT_MS } from './connection.js';
import { type ChainContext, currentBlock, rpc, storage, toNumber } from './context.js';
import { asChainRateLimit } from './error-map.js';
import { UnsupportedRuntimeError } from './errors.js';
import { readMetagraph } from './metagraph.js';
import { assertCanSubmit, assertChainLimits } from './preflight.js';
import { burnUid, readHyperparams, type ValidatorStatus, validatorStatus } from './state.js';
import { type SendOptions, sendAndWait, withSubmissionSlot } from './submit.js';
import { DrandTimelock } from './tle.js';
import { assertWeightVector } from './weights.js';

export type { TimelockEncryptor } from './commit-reveal.js';
export type { ValidatorStatus } from './state.js';

export interface SubtensorChainOptions {
  /** Deadline per RPC call and for inclusion of a submission, in milliseconds. */
  readonly timeoutMs?: number;
  /** Deadline for a submission to be included in a block (defaults to 4 × timeoutMs). */
  readonly inclusionTimeoutMs?: number;
  /** Overrides the chain's `WeightsVersionKey` (a request's own `versionKey` wins over both). */
  readonly versionKey?: number;
  /**
   * Where pending v2 hash commits wait for their reveal (the weight Lambda passes the DynamoDB table).
   * Absent → the v2 path is refused: a commit whose salt dies with the process can never be revealed.
   */
  readonly commitStore?: CommitStore;
  /**
   * Timelocked commits when commit-reveal is on and the runtime has them. Default: drand quicknet
   * ({@link DrandTimelock}); `false` forces the v2 hash commit (e.g. on a devnet without pulses).
   */
  readonly timelock?: TimelockEncryptor | false;
  /**
   * Pre-flight checks before signing (default true). Off, the chain itself judges the vector: for
   * tests of the chain's own errors, or when a check here is stricter than the runtime.
   */
  readonly preflight?: boolean;
  /** Where the submission steps are logged (secret-free lines). */
  readonly log?: Log;
  /** Our hotkey's address for `standing()` when no secret is given (read-only ports). */
  readonly validatorHotkey?: string;
}

/** Parses the hotkey secret; the error names the accepted forms, never the value. */
export function hotkeyPair(secret: string): KeyringPair {
  return parseHotkeySecret(secret);
}

/**
 * The production {@link ChainPort} over one connected `ApiPromise`: a thin facade over the chain
 * modules (metagraph.ts reads, state.ts hyperparameters and validator state, preflight.ts checks,
 * submit.ts signing and inclusion, commit-reveal.ts both commit schemes, error-map.ts). Build it with
 * `createChainPort` (lib/chain/index.ts).
 */
export class SubtensorChain implements ChainPort {
  readonly #ctx: ChainContext;
  readonly #pair: KeyringPair | null;
  readonly #send: SendOptions;
  readonly #store: CommitStore | null;
  readonly #options: SubtensorChainOptions;
  readonly #timelock: TimelockEncryptor | null;

  constructor(api: ApiPromise, hotkeySecret: string | undefined, options: SubtensorChainOptions = {}) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#ctx = { api, timeoutMs };
    this.#pair = hotkeySecret === undefined ? null : hotkeyPair(hotkeySecret);
    this.#send = { inclusionMs: options.inclusionTimeoutMs ?? 4 * timeoutMs, log: options.log };
    this.#store = options.commitStore ?? null;
    this.#timelock = options.timelock === false ? null : (options.timelock ?? new DrandTimelock());
    this.#options = options;
  }

  /** The API, for tests and the local cycle (read-back); production code uses the port methods. */
  get api(): ApiPromise {
    return this.#ctx.api;
  }

  /** The hotkey address this port signs with, or `null` when it is read-only. */
  get hotkey(): string | null {
    return this.#pair?.address ?? null;
  }

  currentBlock(): Promise<number> {
    return currentBlock(this.#ctx);
  }

  /** Neurons at the head block; `stake` is the chain's stake weight (see metagraph.ts). */
  metagraph(netuid: number, source?: 'runtime-api' | 'storage'): Promise<Metagraph> {
    return readMetagraph(this.#ctx, netuid, source);
  }

  hyperparams(netuid: number): Promise<SubnetHyperparams> {
    return readHyperparams(this.#ctx, netuid);
  }

  burnUid(netuid: number): Promise<number | null> {
    return burnUid(this.#ctx, netuid);
  }

  /** The validator's uid, permit, stake weight, threshold and last update. */
  validatorStatus(netuid: number): Promise<ValidatorStatus> {
    return validatorStatus(this.#ctx, netuid, this.#requirePair().address);
  }

  /** The operator preflight: what keeps this hotkey from validating on the subnet. */
  async standing(netuid: number): Promise<ValidatorStanding | null> {
    const hotkey = this.#pair?.address ?? this.#options.validatorHotkey;
    if (hotkey === undefined) return null;
    const { lastUpdate: _, ...standing } = await validatorStatus(this.#ctx, netuid, hotkey);
    return standing;
  }

  #requirePair(): KeyringPair {
    if (this.#pair === null)
      throw new ConfigError('no hotkey secret configured: this chain port is read-only');
    return this.#pair;
  }

  async submitWeights(request: WeightSubmissionRequest): Promise<WeightSubmissionReceipt> {
    const pair = this.#requirePair();
    return withSubmissionSlot(pair.address, () => this.#submit(pair, request));
  }

  async #submit(pair: KeyringPair, request: WeightSubmissionRequest): Promise<WeightSubmissionReceipt> {
    const { netuid } = request;
    const uids = [...request.uids];
    const weights = [...request.weights];
    const hp = request.hyperparams ?? (await this.hyperparams(netuid));
    if (this.#options.preflight !== false) {
      const [n, status, head] = await Promise.all([
        rpc(this.#ctx, storage(this.#ctx, 'subnetworkN')(netuid), 'SubnetworkN').then(toNumber),
        this.validatorStatus(netuid),
        this.currentBlock(),
      ]);
      assertWeightVector(uids, weights, n);
      assertCanSubmit(status, netuid, uids, head, hp.weightsRateLimit);
      assertChainLimits(uids, weights, n, hp, status.uid);
    }
    const versionKey = request.versionKey ?? this.#options.versionKey ?? hp.weightsVersionKey;
    const chosen = await this.#chooseCall(pair, { netuid, uids, weights, versionKey }, hp);
    try {
      const receipt = await sendAndWait(this.#ctx, this.#send, pair, chosen, uids, weights, versionKey);
      if (receipt.kind !== 'timelocked-commit') return receipt;
      const window = await windowOfInclusion(this.#ctx, netuid, hp, receipt.blockNumber, receipt.blockHash);
      return { ...receipt, revealWindow: window };
    } catch (error) {
      const limited = asChainRateLimit(error, 0);
      if (limited === null) throw error;
      // the chain's own answer: the next allowed block from its LastUpdate, read after the refusal
      const status = await this.validatorStatus(netuid).catch(() => null);
      const next = status === null ? 0 : nextWeightsBlock(status.lastUpdate, hp.weightsRateLimit);
      throw asChainRateLimit(error, next) ?? limited;
    }
  }

  async #chooseCall(
    pair: KeyringPair,
    request: { netuid: number; uids: number[]; weights: number[]; versionKey: number },
    hp: SubnetHyperparams,
  ): Promise<WeightCall> {
    const { netuid, uids, weights, versionKey } = request;
    const path = weightPath(this.#ctx.api, hp.commitRevealEnabled, this.#timelock !== null);
    if (path === 'set')
      return buildWeightCall(this.#ctx.api, netuid, uids, weights, versionKey, { kind: 'set' });
    if (path === 'timelocked-commit') {
      if (this.#timelock === null) throw new UnsupportedRuntimeError('timelocked commits are disabled');
      return timelockedCall(this.#ctx, this.#timelock, pair, request, hp);
    }
    if (this.#store === null) {
      throw new UnsupportedRuntimeError(
        'commit-reveal needs a v2 hash commit here (no timelocked commit on this runtime, or timelock: false), and no durable commit store is configured to keep its salt until the reveal',
      );
    }
    return hashCommitCall(this.#ctx, this.#store, pair, request);
  }

  /**
   * Reveals this hotkey's stored v2 commits whose window is open. Commits the chain no longer holds
   * (revealed, expired, never included) are dropped from the store; commits not yet due stay.
   */
  async revealPending(netuid: number): Promise<WeightSubmissionReceipt[]> {
    const pair = this.#requirePair();
    const store = this.#store;
    if (store === null) return [];
    return withSubmissionSlot(pair.address, () => revealPending(this.#ctx, store, this.#send, pair, netuid));
  }

  /** Whether the chain revealed a batch of our timelocked commits (its reveal events). */
  revealOutcome(netuid: number, commit: TimelockedCommitRef): Promise<RevealOutcome> {
    return revealOutcome(this.#ctx, this.#requirePair().address, netuid, commit);
  }

  async close(): Promise<void> {
    await this.#ctx.api.disconnect().catch(() => undefined);
  }
}
