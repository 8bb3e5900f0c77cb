import { ValidationError } from '../errors.js';

/** Largest u16 weight; the chain max-upscales every vector to it. */
export const U16_MAX = 65_535;

const f32 = Math.fround;

/**
 * numpy's float32 pairwise summation (blocks of 8 partial sums up to 128 elements, halves above), so a
 * float32 L1 norm has the same bits as the reference's (numpy-emulated torch) `normalize`.
 */
export function float32Sum(values: ArrayLike<number>, start = 0, end = values.length): number {
  const n = end - start;
  if (n < 8) {
    let sum = 0;
    for (let i = start; i < end; i++) sum = f32(sum + (values[i] as number));
    return sum;
  }
  if (n <= 128) {
    const r = new Float32Array(8);
    for (let j = 0; j < 8; j++) r[j] = values[start + j] as number;
    let i = 8;
    const blockEnd = n - (n % 8);
    for (; i < blockEnd; i += 8) {
      for (let j = 0; j < 8; j++) r[j] = f32((r[j] as number) + (values[start + i + j] as number));
    }
    const [r0, r1, r2, r3, r4, r5, r6, r7] = r as unknown as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    let sum = f32(f32(f32(r0 + r1) + f32(r2 + r3)) + f32(f32(r4 + r5) + f32(r6 + r7)));
    for (; i < n; i++) sum = f32(sum + (values[start + i] as number));
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return f32(float32Sum(values, start, start + half) + float32Sum(values, start + half, end));
}

/**
 * `torch.nn.functional.normalize(scores, p=1, dim=0)` on a float32 vector after clamping negatives
 * (§3.1): each entry divided by `max(sum(|x|), 1e-12)`, rounded to float32.
 */
export function l1NormalizeFloat32(scores: ArrayLike<number>): Float32Array {
  const clamped = Float32Array.from(scores, (x) => Math.max(x, 0));
  const norm = Math.max(float32Sum(clamped), f32(1e-12));
  return clamped.map((x) => f32(x / norm));
}

/** Python's `round()` on a float: nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** One float32 weight as `convert_weights_and_uids_for_emit` encodes it: max-upscaled, half to even. */
function toU16(weight: number, max: number): number {
  return roundHalfEven((weight / max) * U16_MAX);
}

/** How many entries of a float32 vector {@link convertWeightsForEmit} keeps (the others round to 0). */
function survivingU16(weights: Float32Array): number {
  const max = weights.reduce((a, b) => Math.max(a, b), 0);
  if (max === 0) return 0;
  return weights.reduce((count, w) => (toU16(w, max) === 0 ? count : count + 1), 0);
}

export interface EmittedWeights {
  readonly uids: number[];
  readonly weights: number[];
}

/**
 * bittensor's `convert_weights_and_uids_for_emit` (§3.3, chain.md §A.3): float32 inputs, max-upscale in
 * float64, `round(w * 65535)` half-to-even, zeros dropped with their uids. All-zero input emits nothing.
 */
export function convertWeightsForEmit(uids: readonly number[], weights: ArrayLike<number>): EmittedWeights {
  if (uids.length !== weights.length) {
    throw new ValidationError(`uids and weights differ in length (${uids.length} vs ${weights.length})`);
  }
  const w = Float32Array.from(weights);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < w.length; i++) {
    const value = w[i] as number;
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      throw new ValidationError(`weight at position ${i} is negative or not finite (${value})`);
    }
    const uid = uids[i] as number;
    if (!Number.isInteger(uid) || uid < 0 || uid > U16_MAX)
      throw new ValidationError(`uid at position ${i} is not a u16 (${uid})`);
    sum += value;
    if (value > max) max = value;
  }
  const out: EmittedWeights = { uids: [], weights: [] };
  if (sum === 0) return out;
  for (let i = 0; i < w.length; i++) {
    const u16 = toU16(w[i] as number, max);
    if (u16 !== 0) {
      out.uids.push(uids[i] as number);
      out.weights.push(u16);
    }
  }
  return out;
}

const EPSILON = 1e-7;

/**
 * bittensor's `normalize_max_weight` (chain.md §A.3): scales `x` to sum 1 while no entry exceeds
 * `limit`, clipping the largest entries at a common cutoff.
 */
export function normalizeMaxWeight(x: ArrayLike<number>, limit: number): Float32Array {
  const weights = Float32Array.from(x);
  const len = weights.length;
  const total = float32Sum(weights);
  if (total === 0 || len * limit <= 1) return new Float32Array(len).fill(f32(1 / len));
  const values = Float32Array.from(weights).sort();
  const valuesSum = float32Sum(values);
  const estimation = values.map((v) => f32(v / valuesSum));
  if (Math.max(...estimation) <= limit) return weights.map((v) => f32(v / total));
  const cumsum = new Float32Array(len);
  let running = 0;
  for (let i = 0; i < len; i++) {
    running = f32(running + (estimation[i] as number));
    cumsum[i] = running;
  }
  let count = 0;
  for (let i = 0; i < len; i++) {
    const tail = f32((len - i - 1) * (estimation[i] as number));
    if ((estimation[i] as number) / (tail + (cumsum[i] as number) + EPSILON) < limit) count++;
  }
  const cutoffScale = (limit * (cumsum[count - 1] ?? 0) - EPSILON) / (1 - limit * (len - count));
  const cutoff = cutoffScale * valuesSum;
  const clipped = weights.map((v) => (v > cutoff ? f32(cutoff) : v));
  const clippedSum = float32Sum(clipped);
  return clipped.map((v) => f32(v / clippedSum));
}

export interface ChainLimits {
  readonly minAllowedWeights: number;
  /** u16 scale; 65535 means no limit. */
  readonly maxWeightsLimit: number;
}

/**
 * bittensor's `process_weights` with `exclude_quantile = 0` (chain.md §A.3), with the chain's own length
 * rule in place of the SDK's: uniform weights only when nothing is set; padding with 1e-5 when fewer
 * entries than `min(n, MinAllowedWeights)` would reach the chain; the max-weight cap. Returns float
 * weights for {@link convertWeightsForEmit}.
 *
 * Two departures from the SDK, both so that the chain takes the vector and the scores survive:
 * - The SDK goes uniform whenever `n < MinAllowedWeights`, throwing the scores away (and, in burn mode,
 *   the burn). The chain only asks for `min(SubnetworkN, MinAllowedWeights)` entries, zero ones included
 *   (`WeightVecLengthIsLow`, chain.md §A.2 step 7), so the minimum here is `min(n, minAllowedWeights)`.
 * - An entry so small that it rounds to u16 0 is dropped at emission; counted as kept, it would leave the
 *   emitted vector below the minimum and the whole set refused (`WeightLimitsError`). So the count that
 *   meets the minimum is of entries that survive quantisation, and a vector short of it is padded.
 */
export function applyChainLimits(
  uids: readonly number[],
  weights: ArrayLike<number>,
  limits: ChainLimits,
): { uids: number[]; weights: Float32Array } {
  const n = uids.length;
  const limit = limits.maxWeightsLimit / U16_MAX;
  const nonZero: number[] = [];
  for (let i = 0; i < n; i++) if ((weights[i] as number) > 0) nonZero.push(i);
  // the SDK's "nothing set" fallback; scoring emits nothing instead for an all-zero score vector
  if (nonZero.length === 0) return { uids: [...uids], weights: new Float32Array(n).fill(f32(1 / n)) };
  const minimum = Math.min(n, limits.minAllowedWeights);
  if (nonZero.length >= minimum) {
    // exclude_quantile = 0 keeps every non-zero entry (numpy.quantile(w, 0) is the minimum).
    const kept = normalizeMaxWeight(
      Float32Array.from(nonZero, (i) => weights[i] as number),
      limit,
    );
    if (survivingU16(kept) >= minimum) return { uids: nonZero.map((i) => uids[i] as number), weights: kept };
  }
  // Every padded entry survives quantisation: for weights summing to at most 1 (both callers pass
  // L1-normalised ones), 1e-5 against a largest entry of at most 1 + 1e-5 is
  // u16 ≥ 1 (0.655 before rounding), and clipping to the cap only raises that ratio.
  const padded = new Float32Array(n).fill(f32(1e-5));
  for (const i of nonZero) padded[i] = f32((padded[i] as number) + (weights[i] as number));
  return { uids: [...uids], weights: normalizeMaxWeight(padded, limit) };
}
