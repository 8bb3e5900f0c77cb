import { createHash } from 'node:crypto';

/**
 * The PoG arithmetic (reference.md §4.5): the reference's xorshift PRNG and our challenge generator
 * (D10) built on it, the Merkle tree over the rows of C, matrix sizes and the tolerance of one entry
 * check. The reference generator (`prng`, `rowOfA`, `expectedEntry`, `hankelRun`) stays as the
 * documented reference (golden vectors, the Hankel-shortcut demonstration, the bench's comparison
 * with the reference's verify step); challenges use the `challenge*` functions.
 * Everything here is pure and synchronous; the hot loops use 32-bit integer ops and typed arrays.
 */

const U32_MAX = 4294967295;
const INV_U32_MAX = 1 / U32_MAX;

/** xorshift32 applied 10 times, as the reference does; `x` is a uint32. */
function mix(x0: number): number {
  let x = x0 >>> 0;
  for (let r = 0; r < 10; r++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
  }
  return x;
}

/** Low 32 bits of a 64-bit seed: the only bits the reference PRNG ever uses. */
export function seedLow32(seed: bigint): number {
  return Number(BigInt.asUintN(32, seed));
}

/**
 * Entry (i, j) of a matrix with seed `seed`, in float64 (the validator's arithmetic; the matrices
 * are float32, see {@link prng32}). `prng(0n,0,0) = 0`, `prng(1n,0,0) = 0.6789571914540038`.
 */
export function prng(seed: bigint, i: number, j: number): number {
  const state = (seedLow32(seed) + (i >>> 0) + j) >>> 0;
  return mix(state) / 4294967295;
}

/** The float32 value the miner stores for entry (i, j). */
export function prng32(seed: bigint, i: number, j: number): number {
  return Math.fround(prng(seed, i, j));
}

/**
 * xorshift32 is linear over GF(2), and so are ten rounds of it: mix(x) is the XOR of mix() of each
 * byte of x in place. Four 256-entry tables therefore replace 60 shift/XOR operations with 4 loads
 * and 3 XORs (4 KiB, L1-resident); `fastMix(x) === mix(x)` for every x (tested).
 */
const T0 = new Uint32Array(256);
const T1 = new Uint32Array(256);
const T2 = new Uint32Array(256);
const T3 = new Uint32Array(256);
for (let v = 0; v < 256; v++) {
  T0[v] = mix(v);
  T1[v] = mix(v << 8);
  T2[v] = mix(v << 16);
  T3[v] = mix(v << 24);
}

/** Table-driven {@link mix}. */
export function fastMix(x: number): number {
  return (
    ((T0[x & 255] as number) ^
      (T1[(x >>> 8) & 255] as number) ^
      (T2[(x >>> 16) & 255] as number) ^
      (T3[x >>> 24] as number)) >>>
    0
  );
}

/** Reference {@link mix}, exported for the equivalence test. */
export function slowMix(x: number): number {
  return mix(x);
}

/**
 * Fills `out` with the float32 values `f(base + t·stride)` for t = 0..out.length-1. Under the reference
 * generator rows of A and columns of B are runs of stride 1 (the matrices are Hankel); under D10 a
 * column of B has stride n.
 */
export function fillRun(base: number, out: Float64Array, stride = 1): Float64Array {
  for (let t = 0; t < out.length; t++) out[t] = unitValue((base + t * stride) >>> 0);
  return out;
}

/** f(x) as float32: the table-driven mix scaled by `1 / (2^32 − 1)`. */
function unitValue(x: number): number {
  return Math.fround(fastMix(x) * INV_U32_MAX);
}

/** Σ_k aRow[k]·f(base + k·stride) in float64: one entry of C with the column of B generated inline. */
function dotWithRun(aRow: Float64Array, base: number, stride: number): number {
  let sum = 0;
  for (let k = 0; k < aRow.length; k++) sum += (aRow[k] as number) * unitValue((base + k * stride) >>> 0);
  return sum;
}

/**
 * D12: MurmurHash3's 32-bit finaliser. Its two odd multiplications mod 2^32 are not linear over GF(2),
 * which the xorshift mix is: without them an entry is a fixed linear combination of 32 characters
 * (−1)^(r·x) of its counter, and a challenge matrix of power-of-two size has rank ~70–120 (lib/pog/README.md).
 */
function finalise(x: number): number {
  let h = (x ^ (x >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * D11, D12: g(x) as a signed float32 in [−1, 1]. 2m − (2^32 − 1) is an exact integer in float64, so the
 * one float64 division and the rounding to float32 give the same value in TS, numpy and torch.
 */
function signedValue(x: number): number {
  return Math.fround((2 * finalise(fastMix(x)) - U32_MAX) / U32_MAX);
}

/**
 * {@link fillRun} with g instead of f. Kept apart on purpose: one fillRun taking the value function as a
 * parameter made its call site polymorphic and the sampled check about twice as slow (`npm run bench --
 * pog`, protocol 3: 370 → 790–1 280 µs per entry, 8-GPU round 136–163 → 272–292 ms).
 */
function fillSignedRun(base: number, out: Float64Array, stride: number): Float64Array {
  for (let t = 0; t < out.length; t++) out[t] = signedValue((base + t * stride) >>> 0);
  return out;
}

/** One entry of C in float64 and the scale its tolerance is relative to. */
export interface ExactEntry {
  /** Σ_k a_k·b_k: float32 products are exact in float64, the float64 sum errs by < n·2⁻⁵³·scale. */
  readonly value: number;
  /** Σ_k |a_k·b_k|. */
  readonly scale: number;
}

/** Row i of A under the reference generator, as float32 values (held exactly in a Float64Array). */
export function rowOfA(seedA: bigint, i: number, n: number, out = new Float64Array(n)): Float64Array {
  return fillRun((seedLow32(seedA) + (i >>> 0)) >>> 0, out);
}

/**
 * C[i][j] under the reference generator, computed exactly enough: products of float32 inputs are exact in float64 and the float64
 * sum has an error below n·2^-53·Σ|a·b|, four orders of magnitude under the float32 tolerance.
 * `aRow` comes from {@link rowOfA}; column j of B is generated inline to avoid a second pass.
 */
export function expectedEntry(aRow: Float64Array, seedB: bigint, j: number): number {
  return dotWithRun(aRow, (seedLow32(seedB) + j) >>> 0, 1);
}

/**
 * The whole runs f(s + t), t ∈ [0, 2n-1), of a matrix: every row of A (or column of B) is a window
 * of it. Verifying many entries of one GPU then costs 4n PRNG evaluations in all, not 2n per entry.
 */
export function hankelRun(seed: bigint, n: number): Float64Array {
  return fillRun(seedLow32(seed), new Float64Array(2 * n - 1));
}

/** Σ_k runA[i+k]·runB[j+k] in float64: C[i][j] from the runs of {@link hankelRun}. */
export function dotRuns(runA: Float64Array, i: number, runB: Float64Array, j: number, n: number): number {
  let sum = 0;
  for (let k = 0; k < n; k++) sum += (runA[i + k] as number) * (runB[j + k] as number);
  return sum;
}

/**
 * D10, D11 and D12 — the challenge generator. Entry (i, j) of an n×n challenge matrix with seed s is
 * g((s + i·n + j) mod 2^32), g(x) = float32((2·m − (2^32 − 1)) / (2^32 − 1)), m = fmix32(mix(x)): the
 * reference's xorshift32^10 of a row-major counter instead of `s + i + j` (D10), then MurmurHash3's
 * finaliser (D12, {@link finalise}), scaled to [−1, 1] instead of [0, 1] (D11).
 * D10: every entry of a matrix gets its own counter (n ≤ 65 536, so i·n + j < 2^32 never wraps onto
 * another entry), so A and B carry no index-sum (Hankel) structure and C = A·B has no O(n²) recurrence.
 * D12: the mix alone is linear over GF(2), which left A and B of low rank at power-of-two n (C in
 * O(n²·r) work); the finaliser's multiplications leave them with a random matrix's spectrum.
 * D11: with entries of both signs an entry of C is ~√n/3 while Σ|a·b| is ~n/4, and a float32 sum's
 * rounding errors stay near u·Σ|a·b| (u = 2⁻²⁴) because its partial sums stay small; products of inputs
 * rounded to float16 or TF32 err by ~2⁻¹¹·Σ|a·b|/√n, far above that. With entries in [0, 1] both errors
 * grow alike with n and no tolerance told them apart at real n (lib/pog/README.md, "Soundness").
 * Row i of A is the contiguous run from s + i·n, column j of B the run with stride n from s + j.
 */
export const CHALLENGE_MAX_N = 65_536;

function challengeBase(seed: bigint, n: number, offset: number): number {
  if (!Number.isInteger(n) || n < 1 || n > CHALLENGE_MAX_N)
    throw new RangeError(`matrix size ${n} out of range`);
  return (seedLow32(seed) + offset) >>> 0;
}

/** Entry (i, j) of an n×n challenge matrix (D10, D11, D12), as its float32 value. */
export function challengeEntry(seed: bigint, n: number, i: number, j: number): number {
  return signedValue(challengeBase(seed, n, i * n + j));
}

/** Row i of the challenge matrix A: the contiguous run g(sA + i·n + k), k < n. */
export function challengeRowOfA(
  seedA: bigint,
  n: number,
  i: number,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  return fillSignedRun(challengeBase(seedA, n, i * n), out, 1);
}

/** Column j of the challenge matrix B: the run g(sB + k·n + j), k < n. */
export function challengeColumnOfB(
  seedB: bigint,
  n: number,
  j: number,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  return fillSignedRun(challengeBase(seedB, n, j), out, n);
}

/**
 * C[i][j] of the challenge in float64 from row i of A ({@link challengeRowOfA}, n = `aRow.length`),
 * with its scale Σ|a·b|; column j of B is generated inline.
 */
export function challengeExpectedEntry(aRow: Float64Array, seedB: bigint, j: number): ExactEntry {
  const n = aRow.length;
  const base = challengeBase(seedB, n, j);
  let value = 0;
  let scale = 0;
  for (let k = 0; k < n; k++) {
    const p = (aRow[k] as number) * signedValue((base + k * n) >>> 0);
    value += p;
    scale += Math.abs(p);
  }
  return { value, scale };
}

/**
 * Tolerance of one entry check, relative to the entry's scale Σ|a·b| (D11). The miner sums n float32
 * products in float32 (cuBLAS tiles, numpy's SIMD lanes, or a plain loop); with the signed challenge
 * entries the partial sums stay near √k/3, so the rounding error stays near u·Σ|a·b| whatever n is:
 * a plain sequential float32 loop measured a median of 0.2 and a maximum of 3.4 × u·Σ|a·b| over 16 384
 * entries at n = 4 096 (median 0.2, maximum 2.5 over 4 096 at 29 280). We allow 16·u·Σ|a·b| (plus the
 * reference's atol 1e-5): ±0.007 around an entry of spread 57 at n = 29 280. Products of float16- or
 * TF32-rounded inputs err by more for most of their values (64 % fail at n = 29 280, `npm run bench --
 * precision`); a guess of an uncomputed entry lands inside with probability ≈ 9.8e-5 (lib/pog/strength.ts).
 */
export function entryTolerance(scale: number): number {
  const { atol, rtol } = entryToleranceParams();
  return atol + rtol * scale;
}

/**
 * The parameters of {@link entryTolerance}: a value passes when |claimed − exact| ≤ atol + rtol·Σ|a·b|.
 * The proof bundle's header carries them to the row checker (lib/pog/payload/row_check.py), so the
 * formula lives here only.
 */
export function entryToleranceParams(): { atol: number; rtol: number } {
  return { atol: 1e-5, rtol: 16 * 2 ** -24 };
}

/** True when the miner's value is finite and within {@link entryTolerance} of the exact entry. */
export function entryMatches(claimed: number, expected: ExactEntry): boolean {
  if (!Number.isFinite(claimed)) return false;
  return Math.abs(claimed - expected.value) <= entryTolerance(expected.scale);
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Number of sibling hashes in a proof for a tree over `leaves` leaves (odd levels duplicate). */
export function proofLength(leaves: number): number {
  let levels = 0;
  for (let width = leaves; width > 1; width = Math.ceil(width / 2)) levels++;
  return levels;
}

/**
 * Verifies a Merkle proof of row `index` (reference §4.5): start from sha256 of the row bytes, at
 * each level hash `h||sib` for an even index and `sib||h` for an odd one, then halve the index.
 */
export function verifyMerkleProof(
  rowBytes: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  index: number,
): boolean {
  let h = sha256(rowBytes);
  let idx = index;
  for (const sib of proof) {
    h = idx % 2 === 0 ? sha256(h, sib) : sha256(sib, h);
    idx = Math.floor(idx / 2);
  }
  return h.equals(root);
}

/** Builds the reference's tree over leaf hashes; returns levels, leaves first, root last (tests, sim). */
export function merkleLevels(leaves: readonly Uint8Array[]): Buffer[][] {
  const levels: Buffer[][] = [leaves.map((l) => Buffer.from(l))];
  let level = levels[0] as Buffer[];
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let k = 0; k < level.length; k += 2) {
      const left = level[k] as Buffer;
      const right = level[k + 1] ?? left;
      next.push(sha256(left, right));
    }
    levels.push(next);
    level = next;
  }
  return levels;
}

/** The proof of leaf `index` from {@link merkleLevels} output. */
export function merkleProof(levels: readonly Buffer[][], index: number): Buffer[] {
  const proof: Buffer[] = [];
  let idx = index;
  for (let l = 0; l < levels.length - 1; l++) {
    const level = levels[l] as Buffer[];
    const sib = idx % 2 === 0 ? (level[idx + 1] ?? level[idx]) : level[idx - 1];
    proof.push(sib as Buffer);
    idx = Math.floor(idx / 2);
  }
  return proof;
}

/** `adjust_matrix_size` of the reference: the largest multiple of 32 fitting the budget. */
export function adjustMatrixSize(vramGb: number, elementSize: number, bufferFactor: number): number {
  const usable = (vramGb * bufferFactor * 1e9) / (elementSize * 2);
  return Math.floor(Math.floor(Math.sqrt(usable)) / 32) * 32;
}

/** The challenge matrix size for a reported VRAM (reference §4.5: 68.72 GB → 29 280). */
export function challengeMatrixSize(vramGb: number): number {
  return adjustMatrixSize(vramGb, 4, 0.1);
}

/** GPUs that must pass verification (reference §4.5): 4 → 3, more than 4 → ⌈0.75·n⌉, else all. */
export function requiredPasses(numGpus: number): number {
  if (numGpus === 4) return 3;
  if (numGpus > 4) return Math.ceil(0.75 * numGpus);
  return numGpus;
}
