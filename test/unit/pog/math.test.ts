import { describe, expect, it } from 'vitest';
import {
  challengeColumnOfB,
  challengeExpectedEntry,
  challengeMatrixSize,
  challengeRowOfA,
  dotRuns,
  entryMatches,
  expectedEntry,
  fastMix,
  hankelRun,
  merkleLevels,
  merkleProof,
  prng,
  prng32,
  proofLength,
  requiredPasses,
  rowOfA,
  sha256,
  slowMix,
  verifyMerkleProof,
} from '../../../lib/pog/math.js';

describe('PoG math: reference golden vectors', () => {
  it('reproduces prng(0,0,0) and prng(1,0,0) bit for bit', () => {
    // Prepare / Act
    const values = [prng(0n, 0, 0), prng(1n, 0, 0)];
    // Assess
    expect(values).toEqual([0.0, 0.6789571914540038]);
  });

  it('uses only the low 32 bits of a 64-bit seed, wrapping like the reference', () => {
    // Prepare
    const seed = (123n << 32n) + 7n;
    // Act / Assess
    expect(prng(seed, 5, 9)).toBe(prng(7n, 5, 9));
    expect(prng(0xffffffffn, 1, 0)).toBe(prng(0n, 0, 0));
  });

  it('derives n from VRAM as the reference does', () => {
    // Prepare / Act
    const sizes = [8.59, 17.18, 34.36, 68.72].map(challengeMatrixSize);
    // Assess
    expect(sizes).toEqual([10336, 14624, 20704, 29280]);
  });

  it('requires 1→1, 2→2, 3→3, 4→3, 5→4, 6→5, 7→6, 8→6, 12→9 passing GPUs', () => {
    // Prepare / Act
    const required = [1, 2, 3, 4, 5, 6, 7, 8, 12].map(requiredPasses);
    // Assess
    expect(required).toEqual([1, 2, 3, 3, 4, 5, 6, 6, 9]);
  });

  it('computes the 10-round xorshift by tables exactly (it is linear over GF(2))', () => {
    // Prepare
    const samples = [
      0,
      1,
      0xffffffff,
      0x80000000,
      123456789,
      ...Array.from({ length: 2000 }, () => Math.floor(Math.random() * 2 ** 32)),
    ];
    // Act / Assess
    for (const x of samples) expect(fastMix(x)).toBe(slowMix(x));
  });

  it('gives the same C entry from Hankel runs as from a generated row and column', () => {
    // Prepare
    const n = 500;
    const [seedA, seedB] = [0xabcdef0123n, 42n];
    const runA = hankelRun(seedA, n);
    const runB = hankelRun(seedB, n);
    // Act / Assess
    for (const [i, j] of [
      [0, 0],
      [499, 499],
      [17, 301],
    ] as const) {
      expect(dotRuns(runA, i, runB, j, n)).toBe(expectedEntry(rowOfA(seedA, i, n), seedB, j));
    }
  });

  it('fills rows of A with the float32 values of the element-wise PRNG', () => {
    // Prepare
    const seed = 987654321987n;
    // Act
    const row = rowOfA(seed, 11, 40);
    // Assess
    for (let k = 0; k < 40; k++) expect(row[k]).toBe(prng32(seed, 11, k));
  });
});

describe('PoG math: Merkle proofs', () => {
  it.each([1, 2, 3, 5, 64, 100])('verifies every leaf of a %i-leaf tree and rejects tampering', (count) => {
    // Prepare
    const rows = Array.from({ length: count }, (_, k) => Buffer.from(`row-${k}`));
    const levels = merkleLevels(rows.map((r) => sha256(r)));
    const root = (levels[levels.length - 1] as Buffer[])[0] as Buffer;
    for (let i = 0; i < count; i++) {
      // Act
      const proof = merkleProof(levels, i);
      // Assess
      expect(proof).toHaveLength(proofLength(count));
      expect(verifyMerkleProof(rows[i] as Buffer, proof, root, i)).toBe(true);
      expect(verifyMerkleProof(Buffer.from('forged'), proof, root, i)).toBe(false);
      if (count > 1) expect(verifyMerkleProof(rows[i] as Buffer, proof.slice(1), root, i)).toBe(false);
    }
  });
});

describe('PoG math: entry tolerance at full size', () => {
  it('accepts float32 sequential and blocked accumulations of a real entry at n = 29 280', () => {
    // Prepare
    const n = 29_280;
    const seedA = 0x1234_5678_9abcn;
    const seedB = 0xfeed_beefn;
    const a = challengeRowOfA(seedA, n, 17);
    const b = challengeColumnOfB(seedB, n, 4242);
    // Act
    const exact = challengeExpectedEntry(a, seedB, 4242);
    let sequential = 0;
    for (let k = 0; k < n; k++)
      sequential = Math.fround(sequential + Math.fround((a[k] as number) * (b[k] as number)));
    let blocked = 0;
    for (let t = 0; t < n; t += 256) {
      let part = 0;
      for (let k = t; k < Math.min(n, t + 256); k++)
        part = Math.fround(part + Math.fround((a[k] as number) * (b[k] as number)));
      blocked = Math.fround(blocked + part);
    }
    // Assess
    expect(entryMatches(sequential, exact)).toBe(true);
    expect(entryMatches(blocked, exact)).toBe(true);
    // 0.05 off: inside the [0, 1] entries' old √n-wide tolerance (±0.6), outside D11's (±0.007)
    expect(entryMatches(exact.value + 0.05, exact)).toBe(false);
    expect(entryMatches(Number.NaN, exact)).toBe(false);
    expect(entryMatches(Number.POSITIVE_INFINITY, exact)).toBe(false);
  });
});
