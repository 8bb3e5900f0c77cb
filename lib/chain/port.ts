import type { ApiPromise } from '@polkadot/api';
import type { ApiDecoration, QueryableStorageEntry } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { ISubmittableResult } from '@polkadot/types/types';
import { blake2AsHex } from '@polkadot/util-crypto';
import { parseHotkeySecret } from '../clients/secrets.js';
import { asError, ConfigError } from '../errors.js';
import type {
  ChainPort,
  Metagraph,
  NeuronInfo,
  SubnetHyperparams,
  WeightSubmissionReceipt,
  WeightSubmissionRequest,
} from '../ports.js';
import { buildWeightCall, timelockPayloadIsLegacy, type WeightCall, weightPath } from './calls.js';
import type { CommitStore } from './commit-store.js';
import { InMemoryCommitStore } from './commit-store.js';
import { DEFAULT_TIMEOUT_MS, withDeadline } from './connection.js';
import {
  ChainConnectionError,
  ChainDecodeError,
  ChainError,
  ChainTimeoutError,
  DispatchError,
  InsufficientStakeError,
  NotRegisteredError,
  NoValidatorPermitError,
  POOL_CUSTOM_CODES,
  PoolRejectedError,
  RateLimitedError,
  SubmissionInProgressError,
  UnsupportedRuntimeError,
} from './errors.js';
import { revealRound, timelockPayload } from './timelock.js';
import { DrandTimelock } from './tle.js';
import { assertWeightVector } from './weights.js';

const RAO_PER_TAO = 1e9;

/** Encrypts a timelocked (v4) weight payload for a drand round; see lib/chain/timelock.ts. */
export interface TimelockEncryptor {
  encrypt(payload: Uint8Array, revealRound: number): Promise<Uint8Array>;
}

export interface SubtensorChainOptions {
  /** Deadline per RPC call and for inclusion of a submission, in milliseconds. */
  readonly timeoutMs?: number;
  /** Deadline for a submission to be included in a block (defaults to 4 × timeoutMs). */
  readonly inclusionTimeoutMs?: number;
  /** Overrides the chain's `WeightsVersionKey` (a request's own `versionKey` wins over both). */
  readonly versionKey?: number;
  /** Pending v2 commits; defaults to a process-local store. */
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
  /** Called with a short, secret-free line per step (log hook). */
  readonly onEvent?: (message: string, detail?: Record<string, unknown>) => void;
}

/** The validator's own standing on a subnet, as the pre-flight reads it. */
export interface ValidatorStatus {
  readonly hotkey: string;
  readonly uid: number | null;
  readonly validatorPermit: boolean;
  /** Alpha stake on the subnet, in TAO. */
  readonly stake: number;
  readonly lastUpdate: number;
  readonly isOwner: boolean;
}

// One submission per hotkey per process: two concurrent extrinsics would race on the nonce and on the
// rate limit, and the second could be counted although the first was the one included.
const inFlight = new Set<string>();

/** Parses the hotkey secret with the one parser (lib/clients/secrets.ts); errors never name the value. */
export function hotkeyPair(secret: string): KeyringPair {
  return parseHotkeySecret(secret);
}

/** Renders the chain's integer IP (u128) as text: dotted IPv4 or RFC 5952-ish IPv6. */
export function renderIp(ip: bigint, ipType: number): string {
  if (ipType === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((ip >> s) & 0xffn)).join('.');
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((ip >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function toNumber(codec: unknown): number {
  const v = (codec as { toString(): string }).toString();
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new ChainDecodeError(`expected a number from the chain, got ${v.slice(0, 40)}`);
  return n;
}

/** Pulls the custom code out of a pool rejection (`1010: Invalid Transaction: Custom error: 1`). */
export function parsePoolRejection(error: unknown): PoolRejectedError | null {
  const e = asError(error) as Error & { code?: number; data?: unknown };
  const text = `${e.message} ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data ?? '')}`;
  if (e.code !== 1010 && !/^1010\b|\b1010:/.test(e.message)) return null;
  const match = /Custom error:\s*(\d+)/i.exec(text) ?? /"custom"\s*:\s*(\d+)/.exec(text);
  const code = match?.[1] === undefined ? null : Number(match[1]);
  const reason = code === null ? 'invalid transaction' : (POOL_CUSTOM_CODES[code] ?? `Custom(${code})`);
  return new PoolRejectedError(`transaction pool rejected the extrinsic: ${reason}`, code, reason);
}

type Chosen = WeightCall;

/**
 * The production {@link ChainPort} over one connected `ApiPromise`: reads through runtime APIs (storage
 * as fallback), pre-flights the validator, picks the weight call from live metadata and waits for
 * inclusion (D7). Build it with `createChainPort` (lib/chain/index.ts).
 */
export class SubtensorChain implements ChainPort {
  readonly #api: ApiPromise;
  readonly #pair: KeyringPair | null;
  readonly #timeoutMs: number;
  readonly #inclusionMs: number;
  readonly #store: CommitStore;
  readonly #options: SubtensorChainOptions;
  readonly #timelock: TimelockEncryptor | null;

  constructor(api: ApiPromise, hotkeySecret: string | undefined, options: SubtensorChainOptions = {}) {
    this.#api = api;
    this.#pair = hotkeySecret === undefined ? null : hotkeyPair(hotkeySecret);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#inclusionMs = options.inclusionTimeoutMs ?? 4 * this.#timeoutMs;
    this.#store = options.commitStore ?? new InMemoryCommitStore();
    this.#timelock = options.timelock === false ? null : (options.timelock ?? new DrandTimelock());
    this.#options = options;
  }

  /** The API, for tests and the local cycle (read-back); production code uses the port methods. */
  get api(): ApiPromise {
    return this.#api;
  }

  /** The hotkey address this port signs with, or `null` when it is read-only. */
  get hotkey(): string | null {
    return this.#pair?.address ?? null;
  }

  #rpc<T>(promise: Promise<T>, what: string): Promise<T> {
    return this.#guardDisconnect(withDeadline(promise, this.#timeoutMs, what), what);
  }

  /** Rejects as soon as the websocket drops, instead of waiting for the deadline. */
  #guardDisconnect<T>(promise: Promise<T>, what: string): Promise<T> {
    if (!this.#api.isConnected) return Promise.reject(new ChainConnectionError(`${what}: not connected`));
    let off: (() => void) | undefined;
    const dropped = new Promise<never>((_, fail) => {
      const onDrop = (): void => fail(new ChainConnectionError(`${what}: websocket disconnected`));
      this.#api.once('disconnected', onDrop);
      off = () => this.#api.off('disconnected', onDrop);
    });
    return Promise.race([promise, dropped]).finally(() => off?.());
  }

  /** One SubtensorModule storage item, or a typed error when this runtime lacks it. */
  #q(name: string, at: ApiDecoration<'promise'> | ApiPromise = this.#api): QueryableStorageEntry<'promise'> {
    const entry = at.query.subtensorModule?.[name];
    if (entry === undefined)
      throw new UnsupportedRuntimeError(`the runtime has no SubtensorModule.${name} storage`);
    return entry;
  }

  #has(name: string): boolean {
    return this.#api.query.subtensorModule?.[name] !== undefined;
  }

  async currentBlock(): Promise<number> {
    const header = await this.#rpc(this.#api.rpc.chain.getHeader(), 'chain_getHeader');
    return header.number.toNumber();
  }

  /**
   * Reads the subnet's neurons at the head block through `get_neurons_lite`, or storage when the
   * runtime lacks that API (`source` forces one, for tests and comparisons).
   */
  async metagraph(netuid: number, source?: 'runtime-api' | 'storage'): Promise<Metagraph> {
    const header = await this.#rpc(this.#api.rpc.chain.getHeader(), 'chain_getHeader');
    const at = await this.#rpc(this.#api.at(header.hash), 'state at head');
    const lite = at.call.neuronInfoRuntimeApi?.getNeuronsLite;
    const neurons =
      source !== 'storage' && lite !== undefined
        ? await this.#neuronsFromRuntimeApi(at, netuid)
        : await this.#neuronsFromStorage(at, netuid);
    return { netuid, block: header.number.toNumber(), neurons };
  }

  async #neuronsFromRuntimeApi(at: ApiDecoration<'promise'>, netuid: number): Promise<NeuronInfo[]> {
    const call = at.call.neuronInfoRuntimeApi?.getNeuronsLite;
    if (call === undefined) throw new UnsupportedRuntimeError('get_neurons_lite is not available');
    const raw = await this.#rpc(call(netuid), 'get_neurons_lite');
    const list = raw as unknown as Array<Record<string, unknown>>;
    const neurons = list.map((n) => {
      const axon = n.axonInfo as Record<string, unknown>;
      const ip = BigInt((axon.ip as { toString(): string }).toString());
      const stakeRao = (n.stake as Array<[unknown, unknown]>).reduce((sum, [, v]) => sum + toNumber(v), 0);
      return {
        uid: toNumber(n.uid),
        hotkey: String(n.hotkey),
        coldkey: String(n.coldkey),
        axon:
          ip === 0n
            ? null
            : {
                ip: renderIp(ip, toNumber(axon.ipType)),
                port: toNumber(axon.port),
                version: toNumber(axon.version),
              },
        stake: stakeRao / RAO_PER_TAO,
        validatorPermit: (n.validatorPermit as { isTrue: boolean }).isTrue,
        active: (n.active as { isTrue: boolean }).isTrue,
        lastUpdate: toNumber(n.lastUpdate),
      } satisfies NeuronInfo;
    });
    return neurons.sort((a, b) => a.uid - b.uid);
  }

  async #neuronsFromStorage(at: ApiDecoration<'promise'>, netuid: number): Promise<NeuronInfo[]> {
    const n = toNumber(await this.#rpc(this.#q('subnetworkN', at)(netuid), 'SubnetworkN'));
    const uids = Array.from({ length: n }, (_, i) => i);
    const [keys, permits, actives, lastUpdates] = await this.#rpc(
      Promise.all([
        this.#q('keys', at).multi(uids.map((u) => [netuid, u])),
        this.#q('validatorPermit', at)(netuid),
        this.#q('active', at)(netuid),
        this.#q('lastUpdate', at)(netuid),
      ]),
      'metagraph storage',
    );
    const hotkeys = keys.map((k) => k.toString());
    const [owners, axons, alphas] = await this.#rpc(
      Promise.all([
        this.#q('owner', at).multi(hotkeys),
        this.#q('axons', at).multi(hotkeys.map((h) => [netuid, h])),
        this.#q('totalHotkeyAlpha', at).multi(hotkeys.map((h) => [h, netuid])),
      ]),
      'metagraph storage',
    );
    const bools = (v: unknown): boolean[] => (v as { toJSON(): boolean[] }).toJSON();
    const nums = (v: unknown): number[] => (v as { toJSON(): number[] }).toJSON().map(Number);
    const permit = bools(permits);
    const active = bools(actives);
    const last = nums(lastUpdates);
    return uids.map((uid) => {
      const axonOpt = axons[uid] as unknown as { isSome: boolean; unwrap(): Record<string, unknown> };
      let axon: NeuronInfo['axon'] = null;
      if (axonOpt.isSome) {
        const a = axonOpt.unwrap();
        const ip = BigInt((a.ip as { toString(): string }).toString());
        if (ip !== 0n) {
          axon = {
            ip: renderIp(ip, toNumber(a.ipType)),
            port: toNumber(a.port),
            version: toNumber(a.version),
          };
        }
      }
      return {
        uid,
        hotkey: hotkeys[uid] as string,
        coldkey: String(owners[uid]),
        axon,
        stake: toNumber(alphas[uid]) / RAO_PER_TAO,
        validatorPermit: permit[uid] ?? false,
        active: active[uid] ?? false,
        lastUpdate: last[uid] ?? 0,
      };
    });
  }

  async hyperparams(netuid: number): Promise<SubnetHyperparams> {
    // storage, not get_subnet_hyperparams*: the struct changed three times, the storage names did not
    const read = async (name: string, args: unknown[], fallback: number): Promise<number> => {
      if (!this.#has(name)) return fallback;
      const json = (await this.#rpc(this.#q(name)(...args), name)).toJSON();
      if (typeof json === 'boolean') return json ? 1 : 0;
      return toNumber(json);
    };
    const [tempo, rate, version, minW, maxW, cr, period, crVersion] = await Promise.all([
      read('tempo', [netuid], 360),
      read('weightsSetRateLimit', [netuid], 100),
      read('weightsVersionKey', [netuid], 0),
      read('minAllowedWeights', [netuid], 0),
      read('maxWeightsLimit', [netuid], 65535),
      read('commitRevealWeightsEnabled', [netuid], 0),
      read('revealPeriodEpochs', [netuid], 1),
      read('commitRevealWeightsVersion', [], 0),
    ]);
    return {
      tempo,
      weightsRateLimit: rate,
      weightsVersionKey: version,
      minAllowedWeights: minW,
      maxWeightsLimit: maxW,
      commitRevealEnabled: cr === 1,
      revealPeriodEpochs: period,
      commitRevealVersion: crVersion,
    };
  }

  async #uidOf(netuid: number, hotkey: string): Promise<number | null> {
    const v = (await this.#rpc(this.#q('uids')(netuid, hotkey), 'Uids')) as unknown as {
      isSome: boolean;
      unwrap(): unknown;
    };
    return v.isSome ? toNumber(v.unwrap()) : null;
  }

  async #ownerHotkey(netuid: number): Promise<string | null> {
    if (!this.#has('subnetOwnerHotkey')) return null;
    const owner = String(await this.#rpc(this.#q('subnetOwnerHotkey')(netuid), 'SubnetOwnerHotkey'));
    // an unset ValueQuery reads as the all-zero account
    return this.#api.createType('AccountId32', owner).isEmpty ? null : owner;
  }

  async burnUid(netuid: number): Promise<number | null> {
    const owner = await this.#ownerHotkey(netuid);
    return owner === null ? null : this.#uidOf(netuid, owner);
  }

  /** Reads the validator's own uid, permit, stake and last update (no signing needed beyond the address). */
  async validatorStatus(netuid: number): Promise<ValidatorStatus> {
    const hotkey = this.#requirePair().address;
    const [uid, owner] = await Promise.all([this.#uidOf(netuid, hotkey), this.#ownerHotkey(netuid)]);
    if (uid === null) {
      return { hotkey, uid, validatorPermit: false, stake: 0, lastUpdate: 0, isOwner: owner === hotkey };
    }
    const [permits, last, alpha] = await this.#rpc(
      Promise.all([
        this.#q('validatorPermit')(netuid),
        this.#q('lastUpdate')(netuid),
        this.#q('totalHotkeyAlpha')(hotkey, netuid),
      ]),
      'validator status',
    );
    return {
      hotkey,
      uid,
      validatorPermit: (permits as unknown as { toJSON(): boolean[] }).toJSON()[uid] ?? false,
      stake: toNumber(alpha) / RAO_PER_TAO,
      lastUpdate: Number((last as unknown as { toJSON(): number[] }).toJSON()[uid] ?? 0),
      isOwner: owner === hotkey,
    };
  }

  /**
   * Pre-flight: registered, permit (unless a self-weight or the owner), stake against `StakeThreshold`
   * and the rate limit, each as a typed error rather than a failed extrinsic.
   */
  async preflight(netuid: number, uids: readonly number[], rateLimit: number): Promise<ValidatorStatus> {
    const status = await this.validatorStatus(netuid);
    if (status.uid === null) {
      throw new NotRegisteredError(`hotkey ${status.hotkey} is not registered on subnet ${netuid}`);
    }
    const selfWeight = uids.length === 1 && uids[0] === status.uid;
    if (!status.validatorPermit && !selfWeight && !status.isOwner) {
      throw new NoValidatorPermitError(`uid ${status.uid} on subnet ${netuid} has no validator permit`);
    }
    if (this.#has('stakeThreshold') && !status.isOwner) {
      const threshold =
        toNumber(await this.#rpc(this.#q('stakeThreshold')(), 'StakeThreshold')) / RAO_PER_TAO;
      // alpha only: root stake and child-key stake can only raise the chain's figure, so only warn
      if (threshold > 0 && status.stake < threshold) {
        const rootAlpha = toNumber(
          await this.#rpc(this.#q('totalHotkeyAlpha')(status.hotkey, 0), 'TotalHotkeyAlpha'),
        );
        if (rootAlpha === 0) {
          throw new InsufficientStakeError(
            `uid ${status.uid} stake ${status.stake} TAO is below the weights threshold ${threshold} TAO`,
          );
        }
      }
    }
    const now = await this.currentBlock();
    // the extrinsic lands in the next block; the chain allows it when `block - last >= limit`
    const since = now + 1 - status.lastUpdate;
    if (status.lastUpdate !== 0 && since < rateLimit) {
      throw new RateLimitedError(
        `uid ${status.uid} set weights ${since} blocks ago; the subnet allows one per ${rateLimit}`,
        rateLimit - since,
      );
    }
    return status;
  }

  #requirePair(): KeyringPair {
    if (this.#pair === null)
      throw new ConfigError('no hotkey secret configured: this chain port is read-only');
    return this.#pair;
  }

  async submitWeights(request: WeightSubmissionRequest): Promise<WeightSubmissionReceipt> {
    const pair = this.#requirePair();
    const key = pair.address;
    if (inFlight.has(key)) {
      throw new SubmissionInProgressError(`a weight submission for ${key} is already in flight`);
    }
    inFlight.add(key);
    try {
      return await this.#submit(pair, request);
    } finally {
      inFlight.delete(key);
    }
  }

  async #submit(pair: KeyringPair, request: WeightSubmissionRequest): Promise<WeightSubmissionReceipt> {
    const { netuid } = request;
    const uids = [...request.uids];
    const weights = [...request.weights];
    const hp = await this.hyperparams(netuid);
    if (this.#options.preflight !== false) {
      const n = toNumber(await this.#rpc(this.#q('subnetworkN')(netuid), 'SubnetworkN'));
      assertWeightVector(uids, weights, n);
      await this.preflight(netuid, uids, hp.weightsRateLimit);
    }
    const versionKey = request.versionKey ?? this.#options.versionKey ?? hp.weightsVersionKey;
    const chosen = await this.#chooseCall(pair, netuid, uids, weights, versionKey, hp);
    return this.#sendAndWait(pair, chosen, uids, weights, versionKey);
  }

  async #chooseCall(
    pair: KeyringPair,
    netuid: number,
    uids: number[],
    weights: number[],
    versionKey: number,
    hp: SubnetHyperparams,
  ): Promise<WeightCall> {
    const path = weightPath(this.#api, hp.commitRevealEnabled, this.#timelock !== null);
    if (path === 'set') return buildWeightCall(this.#api, netuid, uids, weights, versionKey, { kind: 'set' });
    if (path === 'timelocked-commit')
      return this.#timelockedCall(pair, netuid, uids, weights, versionKey, hp);
    const salt = Array.from(crypto.getRandomValues(new Uint16Array(8)));
    const commitHash = commitHashV2(this.#api, pair.address, netuid, uids, weights, salt, versionKey);
    // built before storing, so a runtime without the call leaves no orphan in the store
    const call = buildWeightCall(this.#api, netuid, uids, weights, versionKey, {
      kind: 'commit',
      commitHash,
    });
    // stored before sending: an uncertain outcome (drop, timeout) must still be revealable later
    await this.#store.put({
      netuid,
      hotkey: pair.address,
      commitHash,
      uids,
      weights,
      salt,
      versionKey,
      committedAtBlock: await this.currentBlock(),
    });
    return call;
  }

  async #timelockedCall(
    pair: KeyringPair,
    netuid: number,
    uids: number[],
    weights: number[],
    versionKey: number,
    hp: SubnetHyperparams,
  ): Promise<WeightCall> {
    const encryptor = this.#timelock;
    if (encryptor === null)
      throw new UnsupportedRuntimeError('timelocked commits are disabled (timelock: false)');
    const block = await this.currentBlock();
    const round = revealRound({
      block,
      netuid,
      tempo: hp.tempo,
      revealPeriodEpochs: hp.revealPeriodEpochs,
      nowSeconds: Date.now() / 1000,
    });
    const legacy = timelockPayloadIsLegacy(this.#api);
    const payload = timelockPayload(this.#api, pair.publicKey, uids, weights, versionKey, legacy);
    const ciphertext = await encryptor.encrypt(payload, round);
    return buildWeightCall(this.#api, netuid, uids, weights, versionKey, {
      kind: 'timelocked-commit',
      ciphertext,
      revealRound: round,
      commitRevealVersion: hp.commitRevealVersion,
    });
  }

  /**
   * Reveals this hotkey's stored v2 commits whose window is open. Commits the chain no longer holds
   * (revealed, expired, never included) are dropped from the store; commits not yet due stay.
   */
  async revealPending(netuid: number): Promise<WeightSubmissionReceipt[]> {
    const pair = this.#requirePair();
    const pending = await this.#store.list(netuid, pair.address);
    if (pending.length === 0) return [];
    const tx = this.#api.tx.subtensorModule;
    const reveal = tx?.revealMechanismWeights ?? tx?.revealWeights;
    if (tx === undefined || reveal === undefined)
      throw new UnsupportedRuntimeError('the runtime has no reveal call');
    const queue = (await this.#rpc(
      this.#q('weightCommits')(netuid, pair.address),
      'WeightCommits',
    )) as unknown as {
      toJSON(): Array<[string, number, number, number]> | null;
    };
    const onChain = queue.toJSON() ?? [];
    const next = (await this.currentBlock()) + 1;
    const receipts: WeightSubmissionReceipt[] = [];
    if (inFlight.has(pair.address)) {
      throw new SubmissionInProgressError(`a weight submission for ${pair.address} is already in flight`);
    }
    inFlight.add(pair.address);
    try {
      for (const p of pending) {
        const entry = onChain.find((c) => c[0] === p.commitHash);
        if (entry === undefined) {
          await this.#store.delete(netuid, p.hotkey, p.commitHash);
          continue;
        }
        // spec-293 tuples carry the window (hash, commit, first, last); HEAD's carry an epoch (last = 0)
        const [, , first, last] = entry;
        if (last !== 0 && next < first) continue;
        if (last !== 0 && next > last) {
          await this.#store.delete(netuid, p.hotkey, p.commitHash);
          continue;
        }
        const chosen = buildWeightCall(this.#api, netuid, p.uids, p.weights, p.versionKey, {
          kind: 'reveal',
          salt: p.salt,
        });
        try {
          receipts.push(await this.#sendAndWait(pair, chosen, [...p.uids], [...p.weights], p.versionKey));
          await this.#store.delete(netuid, p.hotkey, p.commitHash);
        } catch (error) {
          // too early: keep it for the next run (HEAD rejects this in the pool, Custom(17))
          if (error instanceof DispatchError && error.errorName === 'RevealTooEarly') continue;
          if (error instanceof PoolRejectedError && error.customCode === 17) continue;
          // a definite refusal (expired, hash mismatch, no such commit) will not get better later
          if (error instanceof DispatchError || error instanceof PoolRejectedError) {
            await this.#store.delete(netuid, p.hotkey, p.commitHash);
          }
          throw error;
        }
      }
    } finally {
      inFlight.delete(pair.address);
    }
    return receipts;
  }

  /** Signs, submits once, and waits for inclusion; never resubmits (an uncertain outcome is an error). */
  async #sendAndWait(
    pair: KeyringPair,
    chosen: Chosen,
    uids: number[],
    weights: number[],
    versionKey: number,
  ): Promise<WeightSubmissionReceipt> {
    const emit = this.#options.onEvent;
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
          const de = result.dispatchError;
          if (de.isModule) {
            const meta = this.#api.registry.findMetaError(de.asModule);
            fail(
              new DispatchError(
                `${chosen.call} failed: ${meta.section}.${meta.name}`,
                meta.section,
                meta.name,
                blockHash,
              ),
            );
          } else {
            fail(new DispatchError(`${chosen.call} failed: ${de.type}`, 'system', de.type, blockHash));
          }
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
      emit?.('submitting weights', { call: chosen.call, uids: uids.length });
      const { blockHash, extrinsicHash } = await this.#guardDisconnect(
        withDeadline(included, this.#inclusionMs, `inclusion of ${chosen.call}`),
        `inclusion of ${chosen.call}`,
      );
      const header = await this.#rpc(this.#api.rpc.chain.getHeader(blockHash), 'chain_getHeader');
      emit?.('weights included', { call: chosen.call, blockHash });
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

  async close(): Promise<void> {
    await this.#api.disconnect().catch(() => undefined);
  }
}

function toChainError(error: unknown, what: string): ChainError {
  if (error instanceof ChainError) return error;
  const e = asError(error);
  if (/disconnect|socket|WebSocket|not connected/i.test(e.message)) {
    return new ChainConnectionError(`${what}: ${e.message}`);
  }
  if (/timeout/i.test(e.message)) return new ChainTimeoutError(`${what}: ${e.message}`);
  return new ChainError(`${what}: ${e.message}`);
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
