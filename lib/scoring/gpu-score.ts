import type { GpuPerformance } from '../config/gpu-performance.js';

/** Upper bound on GPUs counted per miner (reference §1.1). */
export const MAX_COUNTED_GPUS = 8;

/** The best GPU's score ×8 maps to 100; `gpu_scores` order breaks ties, as Python's `max` does. */
export function maxGpuScore(gpuScores: Readonly<Record<string, number>>): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const value of Object.values(gpuScores)) if (value > best) best = value;
  return best * MAX_COUNTED_GPUS;
}

/** Why a GPU score is what it is; `kind` names the reference branch that produced it. */
export type GpuScoreResult =
  | {
      readonly kind: 'scored';
      readonly score: number;
      readonly gpuScore: number;
      readonly countedGpus: number;
    }
  | { readonly kind: 'unscored'; readonly score: 0; readonly reason: string };

/**
 * `calc_score_pog` of the reference (§1.1), bit for bit: `((gpu_score * n) * (100 / max_score)) / 100`
 * with `n = min(num_gpus, 8)`. A name missing from `gpu_scores` (exact, case-sensitive match), or a
 * missing/invalid count, scores 0 — where the reference reaches the same 0 through a caught exception.
 */
export function calcScorePog(gpuSpecs: unknown, performance: GpuPerformance): GpuScoreResult {
  if (gpuSpecs === null || typeof gpuSpecs !== 'object') {
    return { kind: 'unscored', score: 0, reason: 'gpu_specs is not an object' };
  }
  const { gpu_name: name, num_gpus: count } = gpuSpecs as Record<string, unknown>;
  if (typeof name !== 'string') return { kind: 'unscored', score: 0, reason: 'gpu_name is missing' };
  if (typeof count !== 'number' || !Number.isFinite(count)) {
    return { kind: 'unscored', score: 0, reason: 'num_gpus is missing' };
  }
  if (!Object.hasOwn(performance.gpu_scores, name)) {
    return { kind: 'unscored', score: 0, reason: `"${name}" is not in gpu_scores` };
  }
  const gpuScore = performance.gpu_scores[name] as number;
  const scoreFactor = 100 / maxGpuScore(performance.gpu_scores);
  const countedGpus = Math.min(count, MAX_COUNTED_GPUS);
  const raw = gpuScore * countedGpus * scoreFactor;
  // normalize(score, 0, 100) in the reference: kept as written so the bits match.
  const score = (raw - 0) / (100 - 0);
  return { kind: 'scored', score, gpuScore, countedGpus };
}
