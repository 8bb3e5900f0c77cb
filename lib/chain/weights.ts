import { InvalidWeightsError } from './errors.js';

const U16_MAX = 65535;
const ONE = 1n << 32n; // I32F32 fixed point: 32 fractional bits
const HALF = 1n << 31n;

/** Fixed-point round half away from zero for a non-negative I32F32 value, as substrate-fixed's `round`. */
function roundFixed(bits: bigint): bigint {
  return (bits + HALF) >> 32n;
}

/**
 * The chain's own max-upscale (`vec_u16_max_upscale_to_u16`, epoch/math.rs), emulated in I32F32:
 * every stored weight row has its largest entry at 65535. Above 32768 the chain computes the quotient
 * `65535 / max` first (so rounding differs slightly from the plain formula); zero max stores zeros.
 */
export function chainMaxUpscale(values: readonly number[]): number[] {
  const xs = values.map((v) => BigInt(v));
  const max = BigInt(values.reduce((a, b) => Math.max(a, b), 0));
  if (max === 0n) return values.map(() => 0);
  if (max > 32768n) {
    const ratio = (BigInt(U16_MAX) * ONE) / max;
    return xs.map((v) => Number(roundFixed(v * ratio)));
  }
  return xs.map((v) => Number(roundFixed((v * BigInt(U16_MAX) * ONE) / max)));
}

/** Python's `round` on a float: half to even (banker's rounding). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Float scores to the u16 vector the chain takes, bit for bit like the SDK's
 * `convert_weights_and_uids_for_emit` (chain.md §A.3): float32 inputs, divide by the max, banker's
 * rounding of `w × 65535`, entries that round to 0 dropped. An all-zero vector yields empty lists.
 */
export function convertWeightsForEmit(
  uids: readonly number[],
  weights: readonly number[],
): { uids: number[]; weights: number[] } {
  if (uids.length !== weights.length) {
    throw new InvalidWeightsError(`uids (${uids.length}) and weights (${weights.length}) differ in length`);
  }
  const w32 = weights.map((w) => Math.fround(w));
  w32.forEach((w, i) => {
    if (!Number.isFinite(w) || w < 0)
      throw new InvalidWeightsError(`weight at index ${i} is negative or not finite`);
  });
  uids.forEach((u, i) => {
    if (!Number.isInteger(u) || u < 0 || u > U16_MAX)
      throw new InvalidWeightsError(`uid at index ${i} is not a u16`);
  });
  const max = w32.reduce((a, b) => Math.max(a, b), 0);
  const sum = w32.reduce((a, b) => a + b, 0);
  if (sum === 0 || max === 0) return { uids: [], weights: [] };
  const out = { uids: [] as number[], weights: [] as number[] };
  w32.forEach((w, i) => {
    const u = roundHalfEven((w / max) * U16_MAX);
    if (u !== 0) {
      out.uids.push(uids[i] as number);
      out.weights.push(u);
    }
  });
  return out;
}

/**
 * Checks a u16 vector before it is signed: equal lengths, u16 range, no duplicate uid, uids below the
 * subnet size when known. Catching these here saves a failed extrinsic and its rate-limit slot.
 */
export function assertWeightVector(
  uids: readonly number[],
  weights: readonly number[],
  subnetSize?: number,
): void {
  if (uids.length !== weights.length) {
    throw new InvalidWeightsError(`uids (${uids.length}) and weights (${weights.length}) differ in length`);
  }
  const seen = new Set<number>();
  uids.forEach((uid, i) => {
    if (!Number.isInteger(uid) || uid < 0 || uid > U16_MAX)
      throw new InvalidWeightsError(`uid ${uid} is not a u16`);
    if (subnetSize !== undefined && uid >= subnetSize) {
      throw new InvalidWeightsError(`uid ${uid} is not below the subnet size ${subnetSize}`);
    }
    if (seen.has(uid)) throw new InvalidWeightsError(`uid ${uid} appears twice`);
    seen.add(uid);
    const w = weights[i] as number;
    if (!Number.isInteger(w) || w < 0 || w > U16_MAX)
      throw new InvalidWeightsError(`weight for uid ${uid} is not a u16`);
  });
}
