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
