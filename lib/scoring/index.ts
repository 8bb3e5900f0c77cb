import type { PerformanceConfig } from '../config/gpu-performance.js';
import type { UidStat } from '../ports.js';
import type { ScoringSnapshot } from './snapshot.js';
import { syncScores, type UidDecision } from './sync.js';
import {
  applyChainLimits,
  convertWeightsForEmit,
  type EmittedWeights,
  l1NormalizeFloat32,
} from './weights.js';

export { calcScorePog, maxGpuScore } from './gpu-score.js';
export { type ScoringSnapshot, type ScoringSnapshotInput, ScoringSnapshotSchema } from './snapshot.js';
export type { SyncBranch, UidDecision } from './sync.js';
export { formatSummaryTable } from './table.js';
export type { EmittedWeights } from './weights.js';

/** What one scoring pass decides: the stats to store and publish, the weights to set, the rows to delete. */
export interface ScoringDecision {
  /** Keyed by uid as a decimal string, in uid order, with the reference's field names (score on 0-100). */
  readonly stats: Record<string, UidStat>;
  /**
   * The u16 vector to submit. Empty in `scores` mode when no uid has a positive score: nothing to set
   * (§9's golden `[0, 0, 0]` → `[]`), never uniform weights over every uid.
   */
  readonly weights: EmittedWeights;
  readonly pogDeletions: string[];
  /** The float32 score vector (0-1), one entry per snapshot uid in uid order. */
  readonly scores: number[];
  readonly decisions: readonly UidDecision[];
  /** How the weight vector was formed, for the explanation and the audit row. */
  readonly weightMode: 'scores' | 'burn';
}

/**
 * Runs the reference's `sync_scores` and weight conversion on a snapshot: per-uid branches (§2.3, D1, D2),
 * the float32 score vector, L1 normalisation, optional chain limits, and u16 emission (§3.1, §3.3) — or
 * burn mode, 100% to the subnet owner's uid (D8).
 */
export function scoreSnapshot(snapshot: ScoringSnapshot, performance: PerformanceConfig): ScoringDecision {
  const { decisions, pogDeletions } = syncScores(snapshot, performance.gpu_performance);
  const stats: Record<string, UidStat> = {};
  for (const decision of decisions) stats[String(decision.uid)] = decision.stat;
  const uids = decisions.map((d) => d.uid);
  const scores = Array.from(Float32Array.from(decisions, (d) => d.score));

  let weights: EmittedWeights;
  const burnUid = snapshot.burnUid as number;
  if (snapshot.mode === 'burn' && snapshot.chainLimits !== undefined && uids.includes(burnUid)) {
    // process_weights over every uid, as for scores: pads with 1e-5 below min(n, MinAllowedWeights)
    const limited = applyChainLimits(
      uids,
      uids.map((u) => (u === burnUid ? 1 : 0)),
      snapshot.chainLimits,
    );
    weights = convertWeightsForEmit(limited.uids, limited.weights);
  } else if (snapshot.mode === 'burn') {
    weights = convertWeightsForEmit([burnUid], l1NormalizeFloat32([1]));
  } else if (!scores.some((s) => s > 0)) {
    // process_weights would turn this into uniform weights over every uid (validators included): a
    // silent, meaningless set. The pipeline submits nothing and says so instead.
    weights = { uids: [], weights: [] };
  } else {
    const normalized = l1NormalizeFloat32(scores);
    if (snapshot.chainLimits !== undefined && uids.length > 0) {
      const limited = applyChainLimits(uids, normalized, snapshot.chainLimits);
      weights = convertWeightsForEmit(limited.uids, limited.weights);
    } else {
      weights = convertWeightsForEmit(uids, normalized);
    }
  }
  return { stats, weights, pogDeletions: [...pogDeletions], scores, decisions, weightMode: snapshot.mode };
}

/** The per-uid explanation behind `--explain`: branch, specs, penalty, score and weight. */
export function explainUid(decision: ScoringDecision, uid: number): string | undefined {
  const found = decision.decisions.find((d) => d.uid === uid);
  if (found === undefined) return undefined;
  const index = decision.weights.uids.indexOf(uid);
  const weightLine =
    decision.weightMode === 'burn'
      ? `weight: burn mode, ${index >= 0 ? `this uid is the burn uid (u16 ${decision.weights.weights[index]})` : 'no weight for this uid'}`
      : index >= 0
        ? `weight: u16 ${decision.weights.weights[index]} of ${decision.weights.uids.length} emitted`
        : 'weight: none (zero after normalisation and u16 rounding)';
  const specs = found.stat.gpu_specs === null ? 'none' : JSON.stringify(found.stat.gpu_specs);
  return [
    `uid ${uid} (${found.stat.hotkey})`,
    `branch: ${found.branch}`,
    ...found.reasons.map((r) => `  - ${r}`),
    `gpu_specs: ${specs}`,
    `penalized: ${found.penalized ? 'yes' : 'no'}`,
    `score: ${found.score} (0-1); stats score ${found.stat.score} (0-100); source ${found.stat.own_score ? 'Local' : 'External'}`,
    weightLine,
  ].join('\n');
}
