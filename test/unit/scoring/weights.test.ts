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
  it('returns uniform weights when nothing is set (the SDK fallback; scoring never submits it)', () => {
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

  it('keeps the scores when the subnet is smaller than MinAllowedWeights (the chain asks for min(n, m))', () => {
    // Prepare: 8 uids, one scored, MinAllowedWeights at its storage default 1024
    const uids = [0, 1, 2, 3, 4, 5, 6, 7];
    const scores = l1NormalizeFloat32([0, 0, 0, 0, 0, 0.8, 0, 0]);

    // Act
    const out = applyChainLimits(uids, scores, { minAllowedWeights: 1024, maxWeightsLimit: 65535 });
    const emitted = convertWeightsForEmit(out.uids, out.weights);

    // Assess: every uid is sent (8 = min(8, 1024)), uid 5 takes all but a trace
    expect(emitted.uids).toEqual(uids);
    expect(emitted.weights).toEqual([1, 1, 1, 1, 1, 65535, 1, 1]);
  });

  it('sends only the non-zero entries when they already meet min(n, MinAllowedWeights)', () => {
    // Act
    const out = applyChainLimits([0, 1, 2], [0.25, 0.5, 0.25], {
      minAllowedWeights: 1024,
      maxWeightsLimit: 65535,
    });

    // Assess
    expect(convertWeightsForEmit(out.uids, out.weights)).toEqual({
      uids: [0, 1, 2],
      weights: [32768, 65535, 32768],
    });
  });

  it('pads when an entry rounds to u16 0 and leaves too few for the minimum', () => {
    // Prepare: three non-zero scores for a minimum of 3, one of them far below 1/65535 of the largest
    const uids = [0, 1, 2, 3, 4, 5, 6, 7];
    const scores = l1NormalizeFloat32([0, 1, 0.07, 0, 0, 5e-6, 0, 0]);

    // Act
    const out = applyChainLimits(uids, scores, { minAllowedWeights: 3, maxWeightsLimit: 65535 });
    const emitted = convertWeightsForEmit(out.uids, out.weights);

    // Assess: every uid survives quantisation, the scored ones keep their proportions
    expect(emitted.uids).toEqual(uids);
    expect(emitted.weights[1]).toBe(65535);
    expect(emitted.weights[2]).toBe(roundHalfEven(((0.07 + 1e-5) / (1 + 1e-5)) * 65535));
    expect(Math.min(...emitted.weights)).toBe(1);
  });

  it('keeps the non-zero entries when a tiny one is surplus to the minimum', () => {
    // Prepare: the tiny entry rounds to 0, and two entries still meet a minimum of 2
    const scores = l1NormalizeFloat32([0, 1, 0.07, 5e-6]);

    // Act
    const out = applyChainLimits([0, 1, 2, 3], scores, { minAllowedWeights: 2, maxWeightsLimit: 65535 });

    // Assess
    expect(convertWeightsForEmit(out.uids, out.weights).uids).toEqual([1, 2]);
  });
});
