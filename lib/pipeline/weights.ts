import { randomUUID } from 'node:crypto';
import { RateLimitedError } from '../chain/errors.js';
import type { PerformanceConfig } from '../config/gpu-performance.js';
import { PogValidatorError } from '../errors.js';
import type {
  ChainPort,
  ExternalState,
  ExternalStateMeta,
  ExternalStatePort,
  WeightSubmissionReceipt,
} from '../ports.js';
import { type ScoringDecision, ScoringSnapshotSchema, scoreSnapshot } from '../scoring/index.js';
import type { AuditStore } from '../store/audit.js';
import type { LockStore } from '../store/locks.js';
import type { PogResultStore } from '../store/pog-results.js';
import type { StatsStore } from '../store/stats.js';
import { parseWith } from '../validation.js';
import type { PublishRunResult } from '../wandb/publish.js';
import type { OwnRunPublisher } from './publish-run.js';
import { filterQueryable, type QueryableOptions } from './queryable.js';

/** Burn mode needs the owner's uid, and the owner is not registered. */
export class BurnUidMissingError extends PogValidatorError {}

export interface WeightsDeps {
  readonly chain: ChainPort;
  readonly pogResults: PogResultStore;
  readonly stats: StatsStore;
  readonly locks: LockStore;
  readonly audit: AuditStore;
  readonly performance: PerformanceConfig;
  /** Optional other validators' state; absent → empty allocated, penalized and consensus stats. */
  readonly external?: ExternalStatePort;
  /** Optional: publishes our stats and allocations (W&B) alongside the submission; never blocks it. */
  readonly publisher?: OwnRunPublisher;
  /** Lock owner id; one per invocation by default. */
  readonly owner?: string;
}

export interface WeightsOptions extends QueryableOptions {
  readonly netuid: number;
  readonly mode: 'scores' | 'burn';
  /** Our hotkey's ss58: its LastUpdate drives the rate limit. Absent → our newest audit row's block. */
  readonly validatorHotkey?: string | undefined;
  readonly lockSeconds: number;
}

export type WeightsResult =
  | { readonly status: 'locked' }
  | { readonly status: 'rate-limited'; readonly block: number; readonly nextAllowedBlock: number }
  | {
      readonly status: 'submitted';
      readonly receipt: WeightSubmissionReceipt;
      readonly decision: ScoringDecision;
      readonly pogRowsDeleted: number;
      /** How complete the external state was (absent: no external port, or one without meta). */
      readonly external?: ExternalStateMeta;
      /** Our run's publication (absent: no publisher). */
      readonly published?: PublishRunResult;
    };

const EMPTY_EXTERNAL: ExternalState = { allocatedHotkeys: [], penalizedHotkeys: [], statsAllocated: {} };

/**
 * True when the chain accepts a new set: `LastUpdate == 0` or more than `rateLimit` blocks since it
 * (§3.5; the SDK's strict `>`, one block safer than the runtime's `>=`).
 */
export function weightsAllowed(block: number, lastUpdate: number, rateLimit: number): boolean {
  return lastUpdate === 0 || block - lastUpdate > rateLimit;
}

/**
 * One weight tick, single-flight per subnet (a DynamoDB lock): if the rate limit allows, build the
 * scoring snapshot (metagraph, queryable filter, newest successful PoG row per hotkey, external state,
 * previous stats, chain limits), run the scoring core, write the stats, delete the PoG rows of
 * non-queryable uids, submit through the chain port and record the confirmed receipt (D7).
 */
export async function runWeights(deps: WeightsDeps, options: WeightsOptions): Promise<WeightsResult> {
  const owner = deps.owner ?? randomUUID();
  const lockName = `weights#${options.netuid}`;
  if (!(await deps.locks.acquire(lockName, owner, options.lockSeconds))) return { status: 'locked' };
  try {
    const [metagraph, params] = await Promise.all([
      deps.chain.metagraph(options.netuid),
      deps.chain.hyperparams(options.netuid),
    ]);
    const ours =
      options.validatorHotkey === undefined
        ? undefined
        : metagraph.neurons.find((n) => n.hotkey === options.validatorHotkey);
    const lastUpdate = ours?.lastUpdate ?? (await deps.audit.latest(options.netuid))?.blockNumber ?? 0;
    if (!weightsAllowed(metagraph.block, lastUpdate, params.weightsRateLimit)) {
      return {
        status: 'rate-limited',
        block: metagraph.block,
        nextAllowedBlock: lastUpdate + params.weightsRateLimit + 1,
      };
    }

    const queryable = filterQueryable(metagraph.neurons, options).queryable;
    const [pogSpecs, previous, external, burnUid] = await Promise.all([
      deps.pogResults.allSpecs(),
      deps.stats.readAll(),
      deps.external ? deps.external.read(metagraph) : Promise.resolve(EMPTY_EXTERNAL),
      options.mode === 'burn' ? deps.chain.burnUid(options.netuid) : Promise.resolve(undefined),
    ]);
    if (options.mode === 'burn' && (burnUid === null || burnUid === undefined)) {
      throw new BurnUidMissingError(`burn mode: the owner of subnet ${options.netuid} has no uid`);
    }
    const snapshot = parseWith(
      ScoringSnapshotSchema,
      {
        netuid: options.netuid,
        mode: options.mode,
        ...(burnUid !== null && burnUid !== undefined ? { burnUid } : {}),
        uids: metagraph.neurons.map((n) => ({
          uid: n.uid,
          hotkey: n.hotkey,
          queryable: queryable.has(n.uid),
        })),
        pogSpecs,
        allocatedHotkeys: [...external.allocatedHotkeys],
        penalizedHotkeys: [...external.penalizedHotkeys],
        statsAllocated: external.statsAllocated,
        previousStats: Object.fromEntries(
          Object.entries(previous).map(([uid, row]) => [uid, { reliability_score: row.reliability_score }]),
        ),
        chainLimits: { minAllowedWeights: params.minAllowedWeights, maxWeightsLimit: params.maxWeightsLimit },
      },
      'scoring snapshot',
    );
    const decision = scoreSnapshot(snapshot, deps.performance);
    await deps.stats.writeAll(decision.stats);
    const pogRowsDeleted = await deps.pogResults.deleteHotkeys(decision.pogDeletions);
    // published while the extrinsic is in flight, so a slow W&B costs the tick no time
    const publishing = deps.publisher
      ?.publish({ netuid: options.netuid, metagraph, stats: decision.stats })
      .catch((error: unknown): PublishRunResult => ({ status: 'failed', error: String(error) }));
    let receipt: WeightSubmissionReceipt;
    try {
      receipt = await deps.chain.submitWeights({
        netuid: options.netuid,
        uids: decision.weights.uids,
        weights: decision.weights.weights,
      });
      await deps.audit.append(options.netuid, options.mode, receipt);
    } catch (error) {
      // The chain's own pre-check saw a newer LastUpdate than our metagraph read (a set that landed while
      // its confirmation was lost): the same outcome as our check, not a failure.
      if (error instanceof RateLimitedError) {
        const block = await deps.chain.currentBlock();
        return { status: 'rate-limited', block, nextAllowedBlock: block + Math.max(1, error.blocksToWait) };
      }
      throw error;
    } finally {
      // never leave a publish running past the invocation (a frozen Lambda would resume it later)
      await publishing;
    }
    const published = await publishing;
    return {
      status: 'submitted',
      receipt,
      decision,
      pogRowsDeleted,
      ...(external.meta === undefined ? {} : { external: external.meta }),
      ...(published === undefined ? {} : { published }),
    };
  } finally {
    await deps.locks.release(lockName, owner);
  }
}
