import { PogValidatorError } from './errors.js';

/**
 * Ports between the domain modules. The pipeline (lib/store, lib/queue, functions/) depends only on
 * these shapes; lib/chain, lib/pog and lib/wandb implement them. Keep them small and stable: the
 * local cycle and the handlers are wired against them.
 */

/** An axon as the chain stores it, with the IP already rendered as text. */
export interface AxonInfo {
  readonly ip: string;
  readonly port: number;
  readonly version: number;
}

export interface NeuronInfo {
  readonly uid: number;
  readonly hotkey: string;
  readonly coldkey: string;
  /** `null` when the neuron never served an axon. */
  readonly axon: AxonInfo | null;
  /**
   * The chain's stake weight in TAO: own and child-inherited alpha plus TaoWeight × root stake, as the SDK's
   * metagraph `S` (the reference compares it with `validator_permit_stake = 1e4`).
   */
  readonly stake: number;
  readonly validatorPermit: boolean;
  readonly active: boolean;
  readonly lastUpdate: number;
}

/** Subtensor's target block time: the chain counts in blocks, our clock in seconds. */
export const SECONDS_PER_BLOCK = 12;

export interface Metagraph {
  readonly netuid: number;
  /** Block the metagraph was read at. */
  readonly block: number;
  /** Neurons ordered by uid, uids 0..n-1. */
  readonly neurons: readonly NeuronInfo[];
}

export interface SubnetHyperparams {
  readonly tempo: number;
  readonly weightsRateLimit: number;
  readonly weightsVersionKey: number;
  readonly minAllowedWeights: number;
  readonly maxWeightsLimit: number;
  readonly commitRevealEnabled: boolean;
  readonly revealPeriodEpochs: number;
  readonly commitRevealVersion: number;
}

/** Weights as the chain takes them: u16 values, zeros already dropped. */
export interface WeightVector {
  readonly uids: readonly number[];
  readonly weights: readonly number[];
}

export interface WeightSubmissionRequest extends WeightVector {
  readonly netuid: number;
  /** When absent, the chain's `WeightsVersionKey` is used. */
  readonly versionKey?: number;
  /** The tick's hyperparameters (read once per tick); absent → the port reads them itself. */
  readonly hyperparams?: SubnetHyperparams;
}

/** A confirmed submission (deviation D7): counted only once included in a block. */
export interface WeightSubmissionReceipt {
  readonly kind: 'set' | 'commit' | 'reveal' | 'timelocked-commit';
  readonly call: string;
  readonly blockHash: string;
  readonly blockNumber: number;
  readonly extrinsicHash: string;
  readonly uids: readonly number[];
  readonly weights: readonly number[];
  readonly versionKey: number;
  /** Timelocked commits only: the drand round the vector is sealed to (revealed by the chain itself). */
  readonly revealRound?: number;
  /** Timelocked commits only: the epoch it landed in and the blocks of the epoch that reveals it. */
  readonly revealWindow?: {
    readonly commitEpoch: number;
    readonly firstBlock: number;
    readonly lastBlock: number;
  };
}

export interface ChainPort {
  currentBlock(): Promise<number>;
  metagraph(netuid: number): Promise<Metagraph>;
  hyperparams(netuid: number): Promise<SubnetHyperparams>;
  /** The uid of the subnet owner's hotkey (burn mode, D8); `null` if the owner is not registered. */
  burnUid(netuid: number): Promise<number | null>;
  /** Blocks until included (or a typed error); never submits twice for one call. */
  submitWeights(request: WeightSubmissionRequest): Promise<WeightSubmissionReceipt>;
  close(): Promise<void>;
  /** The validator's own standing (operator preflight); `null` on a port without a hotkey. */
  standing?(netuid: number): Promise<ValidatorStanding | null>;
  /** Reveals stored v2 hash commits whose window is open (a no-op when none are stored). */
  revealPending?(netuid: number): Promise<WeightSubmissionReceipt[]>;
  /** Whether a timelocked commit's vector is on chain now (the chain reveals it itself). */
  revealOutcome?(netuid: number, commit: TimelockedCommitRef): Promise<RevealOutcome>;
}

/** What the operator must fix before any weight can land or any miner will answer. */
export type StandingProblem =
  | 'hotkey-secret-unreadable'
  | 'not-registered'
  | 'no-validator-permit'
  | 'stake-below-threshold';

export interface ValidatorStanding {
  readonly hotkey: string;
  readonly uid: number | null;
  readonly validatorPermit: boolean;
  /** The chain's stake weight (own and inherited alpha plus TaoWeight × root stake), in TAO. */
  readonly stake: number;
  /** `StakeThreshold` in TAO (0 when the runtime has none). */
  readonly stakeThreshold: number;
  readonly isOwner: boolean;
  readonly problems: readonly StandingProblem[];
}

/** Confirmed timelocked commits of one commit epoch, as the audit rows keep them. */
export interface TimelockedCommitRef {
  readonly commitEpoch: number;
  readonly firstBlock: number;
  readonly lastBlock: number;
  /** Inclusion block of the batch's newest commit: from there on every one of them is queued. */
  readonly lastCommitBlock: number;
  /** How many of our commits landed in that epoch (the chain reveals them in one batch). */
  readonly count: number;
}

/**
 * `pending`: not processed yet; otherwise how many of the batch the chain revealed (its reveal event).
 * The events carry no hash, so within one batch the count is exact and the attribution follows commit order.
 */
export type RevealOutcome =
  | { readonly status: 'pending' }
  | { readonly status: 'done'; readonly revealed: number };

/**
 * The rate limit, one rule for the pipeline and the chain port: a new set or commit is sent only when
 * `LastUpdate == 0` or more than `rateLimit` blocks have passed (the SDK's strict `>`, one block safer
 * than the runtime's `>=`, so the extrinsic still passes when it lands a block later).
 */
export function nextWeightsBlock(lastUpdate: number, rateLimit: number): number {
  return lastUpdate === 0 ? 0 : lastUpdate + rateLimit + 1;
}

/** Weights were set or committed too recently: by our rule (`preflight`) or the chain's own check. */
export class RateLimitedError extends PogValidatorError {
  constructor(
    message: string,
    /** First block at which a new submission may go out (0 when unknown). */
    readonly nextAllowedBlock: number,
    readonly source: 'preflight' | 'chain',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One PoG challenge; its one home (schema, size bound, SQS encoding) is lib/queue/challenge.ts. */
import type { PogChallenge } from './queue/challenge.js';

export type { PogChallenge };

/** The result of one PoG session. `gpuName`/`numGpus` are null for a failure row (§4.6). */
export interface PogOutcome {
  readonly hotkey: string;
  readonly uid: number;
  readonly roundId: string;
  readonly gpuName: string | null;
  readonly numGpus: number | null;
  /** Set on failure: a short, secret-free reason. */
  readonly error?: string;
  readonly attempts: number;
  readonly durationMs: number;
}

/** One PoG attempt judged by its quick sampled check (lib/pog implements it). */
export interface PogRunner {
  run(challenge: PogChallenge, signal?: AbortSignal): Promise<PogOutcome>;
}

/** State shared by other validators (reference §6), as the scoring snapshot consumes it. */
export interface ExternalState {
  readonly allocatedHotkeys: readonly string[];
  readonly penalizedHotkeys: ReadonlyArray<
    string | { readonly hotkey: string; readonly [key: string]: unknown }
  >;
  readonly statsAllocated: Readonly<Record<string, UidStat>>;
  /** How the state was obtained (lib/wandb sets it); absent means complete. */
  readonly meta?: ExternalStateMeta;
}

/**
 * `complete`: every page was read; `partial`: a page failed or the page bound was hit, the lists
 * hold what was read; `unavailable`: nothing could be read, the lists are empty; `disabled`: off by
 * configuration. Consumers score on local data alone when the lists are empty.
 */
export interface ExternalStateMeta {
  readonly status: 'complete' | 'partial' | 'unavailable' | 'disabled';
  readonly runsRead: number;
  /** Runs whose config decoded, matched the filter and whose signature verified. */
  readonly runsAccepted: number;
  readonly runsRejected: number;
  /** A short, secret-free reason when the status is not `complete`. */
  readonly error?: string;
}

/** A miner's GPU as a PoG round identified it (the reference's `get_pog_specs` dict). */
export interface GpuSpecs {
  readonly gpu_name: string;
  readonly num_gpus: number;
}

/**
 * One uid's stats entry with the reference's field names and scales (§2.2, §5 `stats`, §6.1): what
 * scoring decides, the stats table stores and W&B publishes and reads. `gpu_specs` is a local PoG
 * result, any dict an external (consensus) entry carried (§2.3), or null.
 */
export interface UidStat {
  /** The reference drops it from entries it rebuilds (§2.3); the record key holds it then. */
  readonly uid?: number;
  readonly hotkey: string;
  readonly gpu_specs: GpuSpecs | Readonly<Record<string, unknown>> | null;
  /** 0-100 scale, as the reference stores and publishes it. */
  readonly score: number;
  readonly allocated: boolean;
  readonly own_score: boolean;
  readonly reliability_score: number;
  /** The reference's SQLite timestamp text; `null` when unknown. */
  readonly created_at?: string | null;
}

export interface ExternalStatePort {
  read(metagraph: Metagraph): Promise<ExternalState>;
}

/** Where a proof job writes its outcome (lib/store implements it on DynamoDB). */
export interface PogResultSink {
  record(outcome: PogOutcome): Promise<void>;
}
