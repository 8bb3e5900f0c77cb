import { createHash } from 'node:crypto';

/**
 * The PoG arithmetic (reference.md §4.5): the reference's xorshift PRNG and our challenge generator
 * (D10) built on it, the Merkle tree over the rows of C, matrix sizes and the tolerance of one entry
 * check. The reference generator (`prng`, `rowOfA`, `expectedEntry`, `hankelRun`) stays as the
 * documented reference (golden vectors, the Hankel-shortcut demonstration, the bench's comparison
 * with the reference's verify step); challenges use the `challenge*` functions.
 * Everything here is pure and synchronous; the hot loops use 32-bit integer ops and typed arrays.
 */

const INV_U32_MAX = 1 / 4294967295;

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
 * D10 — the challenge generator. Entry (i, j) of an n×n challenge matrix with seed s is
 * f((s + i·n + j) mod 2^32): the same xorshift32^10 and `/ (2^32 − 1)` → float32 scaling as the
 * reference, seeded by a row-major counter instead of `s + i + j`. Every entry of a matrix gets its
 * own counter (n ≤ 65 536, so i·n + j < 2^32 never wraps onto another entry), so A and B carry no
 * index-sum (Hankel) structure and C = A·B has no O(n²) recurrence: the only way to the rows of C
 * is a real multiplication. Row i of A is the contiguous run from s + i·n, column j of B the run
 * with stride n from s + j. The float32 value equals numpy's and torch's
 * `float32(float64(x) / 4294967295.0)` for every uint32 x (the multiplication by the rounded
 * reciprocal was checked against that division for all 2^32 values, and sampled in the tests).
 */
export const CHALLENGE_MAX_N = 65_536;

function challengeBase(seed: bigint, n: number, offset: number): number {
  if (!Number.isInteger(n) || n < 1 || n > CHALLENGE_MAX_N)
    throw new RangeError(`matrix size ${n} out of range`);
  return (seedLow32(seed) + offset) >>> 0;
}

/** Entry (i, j) of an n×n challenge matrix (D10), as its float32 value. */
export function challengeEntry(seed: bigint, n: number, i: number, j: number): number {
  return Math.fround(fastMix(challengeBase(seed, n, i * n + j)) * INV_U32_MAX);
}

/** Row i of the challenge matrix A (D10): the contiguous run f(sA + i·n + k), k < n. */
export function challengeRowOfA(
  seedA: bigint,
  n: number,
  i: number,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  return fillRun(challengeBase(seedA, n, i * n), out);
}

/** Column j of the challenge matrix B (D10): the run f(sB + k·n + j), k < n. */
export function challengeColumnOfB(
  seedB: bigint,
  n: number,
  j: number,
  out: Float64Array = new Float64Array(n),
): Float64Array {
  return fillRun(challengeBase(seedB, n, j), out, n);
}

/**
 * C[i][j] of the challenge (D10) in float64 from row i of A ({@link challengeRowOfA}, n =
 * `aRow.length`); column j of B is generated inline. Same exactness argument as {@link expectedEntry}.
 */
export function challengeExpectedEntry(aRow: Float64Array, seedB: bigint, j: number): number {
  const n = aRow.length;
  return dotWithRun(aRow, challengeBase(seedB, n, j), n);
}

/**
 * Tolerance of one entry check. The miner accumulates n float32 products in float32 (cuBLAS tiles,
 * numpy's SIMD lanes, or a plain loop); the rounding error of such a sum is at most γ_n·Σ|a·b| and,
 * for the non-negative random terms here, behaves like a random walk: about u·√n·Σ|a·b| (u = 2^-24).
 * The inputs may also differ in their last bit (torch's int64→float32 path, reference §4.5), adding
 * about u·Σ|a·b|. We allow 8·u·√n + 4·u relative (plus the reference's atol 1e-5): at n = 29 280
 * that is 8.2e-5 relative (±0.6 around an entry of ~7 300) — wide enough for any honest summation
 * order, while a guess of an uncomputed entry (spread ≈ √(n·0.049) ≈ 38) lands inside with
 * probability ≈ 1.3 %, and a checked wrong entry rarely survives the several entries checked per GPU.
 */
export function entryTolerance(n: number, magnitude: number): number {
  const { atol, rtol } = entryToleranceParams(n);
  return atol + rtol * Math.abs(magnitude);
}

/**
 * The parameters of {@link entryTolerance} for size n: a value passes when |claimed − exact| ≤
 * atol + rtol·|exact|. The proof bundle's header carries them to the row checker
 * (lib/pog/payload/row_check.py), so the formula lives here only.
 */
export function entryToleranceParams(n: number): { atol: number; rtol: number } {
  return { atol: 1e-5, rtol: (8 * Math.sqrt(n) + 4) * 2 ** -24 };
}

/** True when the miner's value is finite and within {@link entryTolerance} of the exact value. */
export function entryMatches(claimed: number, expected: number, n: number): boolean {
  if (!Number.isFinite(claimed)) return false;
  return Math.abs(claimed - expected) <= entryTolerance(n, expected);
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
