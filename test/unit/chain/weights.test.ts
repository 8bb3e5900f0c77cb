import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertWeightVector, chainMaxUpscale } from '../../../lib/chain/index.js';
import { ValidationError } from '../../../lib/errors.js';
// the conversion lives in lib/scoring; lib/chain no longer re-exports it (imports point down)
import { convertWeightsForEmit, roundHalfEven } from '../../../lib/scoring/weights.js';

describe('chainMaxUpscale (the chain’s stored values)', () => {
  it.each([
    // observed on the spec-293 runtime (chain.md §A.2 / §B.2)
    [
      [1, 2],
      [32768, 65535],
    ],
    [
      [0, 100, 300],
      [0, 21845, 65535],
    ],
    [
      [16383, 65535],
      [16383, 65535],
    ],
    [
      [1000, 2000],
      [32768, 65535],
    ],
    [
      [0, 0],
      [0, 0],
    ],
  ])('stores %j as %j', (input, stored) => {
    // Act
    const out = chainMaxUpscale(input);

    // Assess
    expect(out).toEqual(stored);
  });

  it('always puts the largest entry at 65535 and keeps order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 64 }), (values) => {
        // Act
        const out = chainMaxUpscale(values);

        // Assess
        const max = Math.max(...values);
        if (max === 0) return out.every((v) => v === 0);
        return (
          out[values.indexOf(max)] === 65535 &&
          out.every((v) => v >= 0 && v <= 65535) &&
          values.every((a, i) =>
            values.every((b, j) => a <= b === (out[i] as number) <= (out[j] as number) || a === b),
          )
        );
      }),
    );
  });
});

describe('convertWeightsForEmit (the SDK’s float → u16)', () => {
  it.each([
    // expected values computed with Python round() on float32 inputs
    [
      [0.1, 0.2, 0.7],
      [0, 1, 2],
      [9362, 18724, 65535],
    ],
    [
      [0.333, 0.5, 1e-6],
      [0, 1],
      [43646, 65535],
    ],
    [
      [3, 131070],
      [0, 1],
      [2, 65535],
    ],
    [
      [5, 131070],
      [0, 1],
      [2, 65535],
    ],
    [[1, 131070], [1], [65535]],
  ])('converts %j to uids %j values %j (banker’s rounding, zeros dropped)', (weights, uids, values) => {
    // Act
    const out = convertWeightsForEmit(
      weights.map((_, i) => i),
      weights,
    );

    // Assess
    expect(out).toEqual({ uids, weights: values });
  });

  it('returns nothing for an all-zero vector and refuses negatives', () => {
    // Act
    const empty = convertWeightsForEmit([0, 1], [0, 0]);

    // Assess
    expect(empty).toEqual({ uids: [], weights: [] });
    expect(() => convertWeightsForEmit([0], [-1])).toThrow(ValidationError);
    expect(() => convertWeightsForEmit([0, 1], [1])).toThrow(ValidationError);
    expect(() => convertWeightsForEmit([70_000], [1])).toThrow(/not a u16/);
  });

  it('rounds half to even like Python', () => {
    // Act
    const r = [0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven);

    // Assess
    expect(r).toEqual([0, 2, 2, 4, 2, 3]);
  });
});

describe('assertWeightVector', () => {
  it('refuses duplicates, out-of-range uids, non-u16 values and length mismatches', () => {
    // Assess
    expect(() => assertWeightVector([1, 1], [1, 1])).toThrow(/appears twice/);
    expect(() => assertWeightVector([16], [1], 16)).toThrow(/below the subnet size/);
    expect(() => assertWeightVector([1], [65536])).toThrow(/not a u16/);
    expect(() => assertWeightVector([1, 2], [1])).toThrow(/differ in length/);
    expect(() => assertWeightVector([0, 15], [0, 65535], 16)).not.toThrow();
  });
});
