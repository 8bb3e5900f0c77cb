import { proofLength, requiredPasses } from './math.js';

/** Chance that a guessed (uncomputed) entry lands within tolerance at full size (see math.ts). */
export const GUESS_PASS_PROBABILITY = 9.8e-5;

/** P(at least `k` of `g` independent GPUs pass), each with probability `p`. */
export function atLeast(g: number, k: number, p: number): number {
  let total = 0;
  for (let s = k; s <= g; s++) total += binomial(g, s) * p ** s * (1 - p) ** (g - s);
  return Math.min(1, total);
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

export interface Strength {
  readonly rowsPerGpu: number;
  readonly entriesPerRow: number;
}

/**
 * Probability that one GPU of a miner that computed only a share `computedRows` of C's n rows
 * passes: every challenged row (distinct, uniform) must be a computed one, or have all its checked
 * entries guessed within tolerance.
 */
export function partialComputeGpuPass(
  n: number,
  computedRows: number,
  s: Strength,
  guess = GUESS_PASS_PROBABILITY,
): number {
  const good = Math.floor(computedRows * n);
  const rows = Math.min(s.rowsPerGpu, n);
  const lucky = guess ** s.entriesPerRow;
  // hypergeometric: condition on how many challenged rows fall outside the computed ones
  let p = 0;
  for (let bad = 0; bad <= rows; bad++) {
    const ways = hypergeometric(n, n - good, rows, bad);
    if (ways > 0) p += ways * lucky ** bad;
  }
  return p;
}

function hypergeometric(population: number, marked: number, draws: number, hits: number): number {
  if (hits > marked || draws - hits > population - marked) return 0;
  // log-space to stay finite at n = 29 280
  const lc = (a: number, b: number) => lgamma(a + 1) - lgamma(b + 1) - lgamma(a - b + 1);
  return Math.exp(lc(marked, hits) + lc(population - marked, draws - hits) - lc(population, draws));
}

function lgamma(x: number): number {
  // Stirling series; exact enough (1e-10) for x ≥ 1 after a shift
  if (x < 7) {
    let shift = 0;
    let prod = 1;
    while (x + shift < 7) {
      prod *= x + shift;
      shift++;
    }
    return lgamma(x + shift) - Math.log(prod);
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    (x - 0.5) * Math.log(x) -
    x +
    0.5 * Math.log(2 * Math.PI) +
    inv / 12 -
    (inv * inv2) / 360 +
    (inv * inv2 * inv2) / 1260
  );
}

/** One GPU of a miner whose committed rows hold a share `wrongEntries` of wrong values. */
export function wrongEntriesGpuPass(
  wrongEntries: number,
  s: Strength,
  guess = GUESS_PASS_PROBABILITY,
): number {
  return (1 - wrongEntries + wrongEntries * guess) ** (s.rowsPerGpu * s.entriesPerRow);
}

/** Probability that a whole round passes when each of `numGpus` GPUs passes with `gpuPass`. */
export function roundPass(numGpus: number, gpuPass: number): number {
  return atLeast(numGpus, requiredPasses(numGpus), gpuPass);
}

/** Bytes a miner sends per GPU for one proof: base64 rows plus hex proofs (JSON overhead aside). */
export function proofBytesPerGpu(n: number, s: Strength): number {
  return Math.min(s.rowsPerGpu, n) * (4 * Math.ceil((4 * n) / 3) + proofLength(n) * 67);
}
