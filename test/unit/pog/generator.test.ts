import { describe, expect, it } from 'vitest';
import {
  CHALLENGE_MAX_N,
  challengeColumnOfB,
  challengeEntry,
  challengeExpectedEntry,
  challengeRowOfA,
  entryMatches,
  prng32,
  slowMix,
} from '../../../lib/pog/math.js';

/** A float32 value times 2^149, as an exact integer (every float32 is a multiple of 2^-149). */
function scaled(v: number): bigint {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, v);
  const bits = view.getUint32(0);
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  const magnitude = exponent === 0 ? BigInt(mantissa) : BigInt(mantissa | 0x800000) << BigInt(exponent - 1);
  return bits >>> 31 === 1 ? -magnitude : magnitude;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

type Gen = (seed: bigint, n: number, i: number, j: number) => number;

/** The reference's seeding: entry (i, j) depends on s + i + j only (A and B are Hankel). */
const referenceGen: Gen = (seed, _n, i, j) => prng32(seed, i, j);

/** A and B of a generator as exact scaled integers, C = A·B and its scales Σ|a·b| exactly (times 2^298). */
function exactProduct(gen: Gen, n: number, seedA: bigint, seedB: bigint) {
  const a = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, k) => scaled(gen(seedA, n, i, k))),
  );
  const b = Array.from({ length: n }, (_, k) =>
    Array.from({ length: n }, (_, j) => scaled(gen(seedB, n, k, j))),
  );
  const c = a.map((row) =>
    Array.from({ length: n }, (_, j) => row.reduce((sum, v, k) => sum + v * (b[k]?.[j] as bigint), 0n)),
  );
  const s = a.map((row) =>
    Array.from({ length: n }, (_, j) => row.reduce((sum, v, k) => sum + abs(v * (b[k]?.[j] as bigint)), 0n)),
  );
  return { a, b, c, s };
}

/**
 * The Hankel shortcut a CPU-only miner would use: C's first row and first column by dot products
 * (O(n²)), every other entry by C[i+1][j+1] = C[i][j] − a(i)b(j) + a(i+n)b(j+n), where the
 * sequences a, b are read off A's first row and last column and B's first column and last row.
 */
function hankelShortcut(a: bigint[][], b: bigint[][], n: number): bigint[][] {
  const seqA = [...(a[0] as bigint[]), ...a.slice(1).map((row) => row[n - 1] as bigint)];
  const seqB = [...b.map((row) => row[0] as bigint), ...(b[n - 1] as bigint[]).slice(1)];
  const dot = (i: number, j: number) =>
    (a[i] as bigint[]).reduce((sum, v, k) => sum + v * ((b[k] as bigint[])[j] as bigint), 0n);
  const c = Array.from({ length: n }, () => new Array<bigint>(n).fill(0n));
  for (let t = 0; t < n; t++) {
    (c[0] as bigint[])[t] = dot(0, t);
    (c[t] as bigint[])[0] = dot(t, 0);
  }
  for (let i = 0; i + 1 < n; i++) {
    for (let j = 0; j + 1 < n; j++) {
      (c[i + 1] as bigint[])[j + 1] =
        ((c[i] as bigint[])[j] as bigint) -
        (seqA[i] as bigint) * (seqB[j] as bigint) +
        (seqA[i + n] as bigint) * (seqB[j + n] as bigint);
    }
  }
  return c;
}

/** MurmurHash3's fmix32 in BigInt arithmetic: an implementation independent of math.ts's Math.imul one. */
function fmix32(x: number): number {
  const m = 2n ** 32n;
  let h = BigInt(x);
  h ^= h >> 16n;
  h = (h * 0x85eb_ca6bn) % m;
  h ^= h >> 13n;
  h = (h * 0xc2b2_ae35n) % m;
  h ^= h >> 16n;
  return Number(h);
}

const seeds = [
  0n,
  1n,
  0xdead_beef_0000_0001n,
  0x0123_4567_89ab_cdefn,
  0xffff_ffffn,
  (77n << 32n) | 0xffff_f000n,
];

describe('D10/D11/D12 challenge generator', () => {
  it('is fmix32 of the reference mix of the row-major counter s + i·n + j (mod 2^32), scaled to [−1, 1]', () => {
    // Prepare
    const cases: [bigint, number, number, number][] = [];
    for (const seed of seeds) {
      for (const n of [1, 2, 97, 29_280, CHALLENGE_MAX_N]) {
        for (let t = 0; t < 200; t++) {
          cases.push([seed, n, Math.floor(Math.random() * n), Math.floor(Math.random() * n)]);
        }
        cases.push([seed, n, n - 1, n - 1]);
      }
    }
    // Act / Assess: (2m − (2^32 − 1)) / (2^32 − 1) in float64, rounded to float32, m = fmix32(mix(x))
    let negative = 0;
    for (const [seed, n, i, j] of cases) {
      const state = Number((BigInt.asUintN(32, seed) + BigInt(i) * BigInt(n) + BigInt(j)) % 2n ** 32n);
      const value = challengeEntry(seed, n, i, j);
      expect(value).toBe(Math.fround((2 * fmix32(slowMix(state)) - 4294967295) / 4294967295));
      expect(Math.abs(value)).toBeLessThanOrEqual(1);
      if (value < 0) negative++;
    }
    expect(cases.length).toBeGreaterThan(6000);
    // both signs, about half each
    expect(negative / cases.length).toBeGreaterThan(0.4);
    expect(negative / cases.length).toBeLessThan(0.6);
  });

  it('builds rows of A, columns of B and C entries consistent with the element-wise values', () => {
    // Prepare
    const n = 131;
    const [seedA, seedB] = [0xffff_ff00n, 0x1234_5678_9abcn]; // A's counter wraps past 2^32
    // Act
    const row = challengeRowOfA(seedA, n, 77);
    const col = challengeColumnOfB(seedB, n, 130);
    const entry = challengeExpectedEntry(row, seedB, 130);
    // Assess
    let dot = 0;
    let scale = 0;
    for (let k = 0; k < n; k++) {
      expect(row[k]).toBe(challengeEntry(seedA, n, 77, k));
      expect(col[k]).toBe(challengeEntry(seedB, n, k, 130));
      dot += (row[k] as number) * (col[k] as number);
      scale += Math.abs((row[k] as number) * (col[k] as number));
    }
    expect(entry).toEqual({ value: dot, scale });
  });

  it('refuses sizes whose counters would collide (n > 65 536)', () => {
    // Prepare / Act / Assess
    expect(() => challengeEntry(1n, CHALLENGE_MAX_N + 1, 0, 0)).toThrow(RangeError);
    expect(() => challengeRowOfA(1n, 0, 0)).toThrow(RangeError);
  });
});

describe('the Hankel shortcut (why D10 exists)', () => {
  it.each([8, 17, 24])('rebuilds C exactly in O(n²) for the reference generator at n = %i', (n) => {
    // Prepare
    const { a, b, c } = exactProduct(referenceGen, n, 0x9e37_79b9_7f4a_7c15n, 12_345n);
    // Act
    const shortcut = hankelShortcut(a, b, n);
    // Assess
    expect(shortcut).toEqual(c);
  });

  it.each([8, 17, 24])('fails for the D10 generator at n = %i: the recurrence does not give C', (n) => {
    // Prepare
    const seedA = 0x9e37_79b9_7f4a_7c15n;
    const seedB = 12_345n;
    const { a, b, c, s: scales } = exactProduct(challengeEntry, n, seedA, seedB);
    // Act
    const shortcut = hankelShortcut(a, b, n);
    // Assess: besides the directly computed first row and column, no entry survives the check
    let matching = 0;
    for (let i = 1; i < n; i++) {
      for (let j = 1; j < n; j++) {
        const claimed = Math.fround(Number((shortcut[i] as bigint[])[j]) / 2 ** 298);
        const value = Number((c[i] as bigint[])[j]) / 2 ** 298;
        const scale = Number((scales[i] as bigint[])[j]) / 2 ** 298;
        if (entryMatches(claimed, { value, scale })) matching++;
      }
    }
    expect(matching).toBe(0);
    expect(shortcut[0]).toEqual(c[0]);
  });
});
