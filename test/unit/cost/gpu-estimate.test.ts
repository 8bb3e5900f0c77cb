import { describe, expect, it } from 'vitest';
import { rowCheckSecondsPerGpu, rowCheckValuesPerSecond, T4 } from '../../../lib/cost/gpu-estimate.js';
import { BUNDLE_ROWS_PER_GPU, DEFAULT_ASSUMPTIONS } from '../../../lib/cost/model.js';
import { parsePogEngineConfig } from '../../../lib/pog/config.js';

describe('Function: rowCheckSecondsPerGpu()', () => {
  it("prices an H100's 17 rows on a T4 as B's traffic at the effective bandwidth plus the FP64 products", () => {
    // Prepare: the figures by hand, n = 29 280
    const entries = 29_280 ** 2;
    const trafficS = (entries * 384) / (320e9 * 0.78);
    const productsS = (entries * 17 * 2 * 2) / 0.25e12;
    // Act
    const seconds = rowCheckSecondsPerGpu(29_280, 17, T4);
    // Assess: ~1.32 s of traffic and ~0.23 s of products
    expect(trafficS).toBeCloseTo(1.319, 3);
    expect(productsS).toBeCloseTo(0.233, 3);
    expect(seconds).toBeCloseTo(trafficS + productsS, 9);
  });

  it('grows with n² and, for the products only, with the rows', () => {
    // Prepare
    const base = rowCheckSecondsPerGpu(10_000, 17);
    // Act
    const doubled = rowCheckSecondsPerGpu(20_000, 17);
    const oneRow = rowCheckSecondsPerGpu(10_000, 1);
    // Assess: B's regeneration does not depend on the rows, so one row costs more than 1/17 of 17
    expect(doubled / base).toBeCloseTo(4, 9);
    expect(oneRow).toBeGreaterThan(base / 17);
    expect(oneRow).toBeLessThan(base);
  });

  it('gives the values per second and the cost model its seconds per bundle (2 GPUs and 0.2 s of I/O)', () => {
    // Prepare
    const perGpu = rowCheckSecondsPerGpu(29_280, 17);
    // Act
    const rate = rowCheckValuesPerSecond(29_280, 17);
    // Assess
    expect(rate).toBeCloseTo((17 * 29_280) / perGpu, 6);
    expect(DEFAULT_ASSUMPTIONS.verificationSecondsPerBundle).toBe(Math.round((2 * perGpu + 0.2) * 10) / 10);
    expect(BUNDLE_ROWS_PER_GPU).toBe(parsePogEngineConfig().rowsPerGpu);
  });
});
