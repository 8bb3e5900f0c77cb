import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lib/errors.js';
import {
  applyChainLimits,
  convertWeightsForEmit,
  float32Sum,
  l1NormalizeFloat32,
  normalizeMaxWeight,
  roundHalfEven,
} from '../../../lib/scoring/weights.js';

const emit = (scores: number[]) =>
  convertWeightsForEmit(
    scores.map((_, i) => i),
    l1NormalizeFloat32(scores),
  );

describe('Weight emission', () => {
  it.each([
    [[0, 0, 0], [], []],
    [[0, 0.0825, 0], [1], [65535]],
    [
      [0.3, 0.3, 0.3, 0.3],
      [0, 1, 2, 3],
      [65535, 65535, 65535, 65535],
    ],
  ])('emits %j as uids %j weights %j (golden vector)', (scores, uids, weights) => {
    // Act / Assess
    expect(emit(scores)).toEqual({ uids, weights });
  });

  it('clamps negatives and drops entries that round to 0', () => {
    // Act
    const out = emit([-1, 1, 1e-6, 0.5]);
    // Assess
    expect(out).toEqual({ uids: [1, 3], weights: [65535, 32768] });
  });

  it('rounds half to even like Python', () => {
    // Act / Assess
    expect([0.5, 1.5, 2.5, 32767.5, 2.4999, -0.5].map(roundHalfEven)).toEqual([0, 2, 2, 32768, 2, 0]);
  });

  it('rejects a negative or NaN weight and a length mismatch', () => {
    // Act / Assess
    expect(() => convertWeightsForEmit([0, 1], [1, -1])).toThrow(ValidationError);
    expect(() => convertWeightsForEmit([0], [Number.NaN])).toThrow(ValidationError);
    expect(() => convertWeightsForEmit([0, 1], [1])).toThrow(/differ in length/);
  });

  it('sums float32 pairwise like numpy (differs from a sequential float32 sum)', () => {
    // Prepare: 1 followed by many values below half an ulp of 1 in float32
    const values = [1, ...Array.from({ length: 200 }, () => 3e-8)];
    let sequential = 0;
    for (const v of values) sequential = Math.fround(sequential + v);
    // Act
    const pairwise = float32Sum(Float32Array.from(values));
    // Assess
    expect(sequential).toBe(1);
    expect(pairwise).toBeGreaterThan(1);
  });
});

describe('Chain limits (process_weights)', () => {
  it('returns uniform weights when nothing is set', () => {
    // Act
    const out = applyChainLimits([0, 1, 2, 3], [0, 0, 0, 0], {
      minAllowedWeights: 1,
      maxWeightsLimit: 65535,
    });
    // Assess
    expect(Array.from(out.weights)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('pads with 1e-5 below the minimum count', () => {
    // Act
    const out = applyChainLimits([0, 1, 2], [0, 1, 0], { minAllowedWeights: 2, maxWeightsLimit: 65535 });
    // Assess
    expect(out.uids).toEqual([0, 1, 2]);
    expect(out.weights[1]).toBeGreaterThan(0.99);
    expect(out.weights[0]).toBeGreaterThan(0);
    expect(out.weights[0]).toBe(out.weights[2]);
  });

  it('caps the largest weight at the max-weight limit', () => {
    // Act
    const capped = normalizeMaxWeight([10, 1, 1, 1], 0.5);
    // Assess
    expect(Math.max(...capped)).toBeLessThanOrEqual(0.5 + 1e-6);
    expect(capped.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('keeps only the non-zero uids above the minimum', () => {
    // Act
    const out = applyChainLimits([0, 1, 2], [0.5, 0, 0.5], { minAllowedWeights: 1, maxWeightsLimit: 65535 });
    // Assess
    expect(out.uids).toEqual([0, 2]);
    expect(convertWeightsForEmit(out.uids, out.weights)).toEqual({ uids: [0, 2], weights: [65535, 65535] });
  });
});
