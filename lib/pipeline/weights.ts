import { randomUUID } from 'node:crypto';
import type { PerformanceConfig } from '../config/gpu-performance.js';
import { PogValidatorError } from '../errors.js';
import {
  type ChainPort,
  type ExternalState,
  type ExternalStateMeta,
  type ExternalStatePort,
  nextWeightsBlock,
  RateLimitedError,
  type StandingProblem,
  type WeightSubmissionReceipt,
} from '../ports.js';
import { type ScoringDecision, ScoringSnapshotSchema, scoreSnapshot } from '../scoring/index.js';
import type { AuditRow, AuditStore } from '../store/audit.js';
import type { CoordinationStore } from '../store/coordination.js';
import type { PogResultStore } from '../store/pog-results.js';
import type { StatsStore } from '../store/stats.js';
import { parseWith } from '../validation.js';
import type { PublishRunResult } from '../wandb/publish.js';
import { validatorPreflight } from './preflight.js';
import type { OwnRunPublisher } from './publish-run.js';
import { filterQueryable, type QueryableOptions } from './queryable.js';

/** Burn mode needs the owner's uid, and the owner is not registered. */
export class BurnUidMissingError extends PogValidatorError {}

export interface WeightsDeps {
  readonly chain: ChainPort;
  readonly pogResults: PogResultStore;
  readonly stats: StatsStore;
  readonly coordination: CoordinationStore;
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

/** What this tick learnt about earlier commits: v2 reveals sent, timelocked reveals confirmed. */
export interface RevealReport {
  /** v2 hash commits revealed by this tick. */
  readonly revealedV2: number;
  /** Timelocked commits the chain revealed / never revealed (confirmed this tick). */
  readonly confirmed: number;
  readonly neverRevealed: number;
  /** A reveal step that failed (the tick still goes on). */
  readonly error?: string;
}

export type WeightsResult =
  | { readonly status: 'locked' }
  | { readonly status: 'blocked'; readonly problems: readonly StandingProblem[] }
  | {
      readonly status: 'rate-limited';
      readonly block: number;
      readonly nextAllowedBlock: number;
      readonly reveals?: RevealReport;
    }
  | {
      /**
       * Scores mode with no positive score (fresh deployment, PoG results lost, every uid unqueryable):
       * nothing is submitted, as the reference emits nothing for `[0, 0, 0]` (§9). Stats are still
       * written and published.
       */
      readonly status: 'nothing-to-set';
      readonly block: number;
      readonly reason: string;
      readonly decision: ScoringDecision;
      readonly pogRowsDeleted: number;
      readonly external?: ExternalStateMeta;
      readonly published?: PublishRunResult;
      readonly reveals?: RevealReport;
    }
  | {
      readonly status: 'submitted';
      readonly receipt: WeightSubmissionReceipt;
      readonly decision: ScoringDecision;
      readonly pogRowsDeleted: number;
      /** How complete the external state was (absent: no external port, or one without meta). */
      readonly external?: ExternalStateMeta;
      /** Our run's publication (absent: no publisher). */
      readonly published?: PublishRunResult;
      readonly reveals?: RevealReport;
    };

const EMPTY_EXTERNAL: ExternalState = { allocatedHotkeys: [], penalizedHotkeys: [], statsAllocated: {} };

/**
 * True when the chain accepts a new set; the rule is the chain port's ({@link nextWeightsBlock}).
 */
export function weightsAllowed(block: number, lastUpdate: number, rateLimit: number): boolean {
  return block >= nextWeightsBlock(lastUpdate, rateLimit);
}

/**
 * Confirms earlier timelocked commits, one batch per commit epoch: the chain reveals a batch itself, so
 * its reveal events are the only proof that a commit counted. Rows are marked in commit order.
 */
async function confirmTimelocked(
  deps: WeightsDeps,
  netuid: number,
): Promise<{ confirmed: number; neverRevealed: number }> {
  const outcome = deps.chain.revealOutcome?.bind(deps.chain);
  if (outcome === undefined) return { confirmed: 0, neverRevealed: 0 };
  const rows = await deps.audit.unconfirmedCommits(netuid);
  const batches = new Map<number, AuditRow[]>();
  for (const row of rows)
    batches.set(row.commitEpoch as number, [...(batches.get(row.commitEpoch as number) ?? []), row]);
  let confirmed = 0;
  let neverRevealed = 0;
  for (const [commitEpoch, batch] of batches) {
    const last = batch[batch.length - 1] as AuditRow;
    const result = await outcome(netuid, {
      commitEpoch,
      firstBlock: last.revealFirstBlock as number,
      lastBlock: last.revealLastBlock as number,
      lastCommitBlock: last.blockNumber,
      count: batch.length,
    });
    if (result.status === 'pending') continue;
    const head = await deps.chain.currentBlock();
    for (const [i, row] of batch.entries()) {
      const revealed = i < result.revealed;
      await deps.audit.recordReveal(netuid, row.sk, revealed, head);
      if (revealed) confirmed += 1;
      else neverRevealed += 1;
    }
  }
  return { confirmed, neverRevealed };
}

/** The reveal step of a tick: v2 reveals whose window is open, then timelocked confirmations. */
async function revealStep(deps: WeightsDeps, netuid: number): Promise<RevealReport | undefined> {
  if (deps.chain.revealPending === undefined && deps.chain.revealOutcome === undefined) return undefined;
  let revealedV2 = 0;
  try {
    revealedV2 = (await deps.chain.revealPending?.(netuid))?.length ?? 0;
    const { confirmed, neverRevealed } = await confirmTimelocked(deps, netuid);
    return { revealedV2, confirmed, neverRevealed };
  } catch (error) {
    return { revealedV2, confirmed: 0, neverRevealed: 0, error: String(error).slice(0, 300) };
  }
}

/**
 * One weight tick, single-flight per subnet (a DynamoDB lock): the operator preflight (registered,
 * permit, stake weight), the reveal step (v2 reveals, timelocked confirmations), then, if the rate limit
 * allows, the scoring snapshot (metagraph, queryable filter, newest successful PoG row per hotkey,
 * external state, previous stats, the chain's weight limits read once and passed on), the stats, the
 * deletion of PoG rows of non-queryable uids, the submission and its audit row (D7). An empty vector
 * (scores mode, no positive score) is not submitted: the tick ends `nothing-to-set`.
 */
export async function runWeights(deps: WeightsDeps, options: WeightsOptions): Promise<WeightsResult> {
  const owner = deps.owner ?? randomUUID();
  const lockName = `weights#${options.netuid}`;
  if (!(await deps.coordination.acquire(lockName, owner, options.lockSeconds))) return { status: 'locked' };
  try {
    const preflight = await validatorPreflight(deps.chain, options.netuid);
    if (preflight !== null && preflight.problems.length > 0) {
      return { status: 'blocked', problems: preflight.problems };
    }
    const reveals = await revealStep(deps, options.netuid);
    const withReveals = reveals === undefined ? {} : { reveals };
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
        nextAllowedBlock: nextWeightsBlock(lastUpdate, params.weightsRateLimit),
        ...withReveals,
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
        // bittensor's process_weights, in scores and burn mode alike (lib/scoring applies it)
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
    const context = {
      ...(external.meta === undefined ? {} : { external: external.meta }),
      ...withReveals,
    };
    if (decision.weights.uids.length === 0) {
      const published = await publishing;
      return {
        status: 'nothing-to-set',
        block: metagraph.block,
        reason: `no uid of ${decision.scores.length} has a positive score: nothing to set`,
        decision,
        pogRowsDeleted,
        ...(published === undefined ? {} : { published }),
        ...context,
      };
    }
    let receipt: WeightSubmissionReceipt;
    try {
      receipt = await deps.chain.submitWeights({
        netuid: options.netuid,
        uids: decision.weights.uids,
        weights: decision.weights.weights,
        hyperparams: params,
      });
      await deps.audit.append(options.netuid, options.mode, receipt);
    } catch (error) {
      // Our preflight or the chain itself (SettingWeightsTooFast, pool Custom(6)) saw a newer LastUpdate
      // than our metagraph read (a set that landed while its confirmation was lost): not a failure.
      if (error instanceof RateLimitedError) {
        const block = await deps.chain.currentBlock();
        return {
          status: 'rate-limited',
          block,
          nextAllowedBlock: Math.max(error.nextAllowedBlock, block + 1),
          ...withReveals,
        };
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
      ...(published === undefined ? {} : { published }),
      ...context,
    };
  } finally {
    await deps.coordination.release(lockName, owner);
  }
}
