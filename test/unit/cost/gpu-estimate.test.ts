import { describe, expect, it } from 'vitest';
import { rowCheckSeconds, rowCheckValuesPerSecond, T4 } from '../../../lib/cost/gpu-estimate.js';
import { BUNDLE_ROWS_PER_GPU, DEFAULT_ASSUMPTIONS } from '../../../lib/cost/model.js';
import { parsePogEngineConfig } from '../../../lib/pog/config.js';

describe('Function: rowCheckSeconds()', () => {
  it("prices an H100's 17 rows on a T4 as B's traffic at the effective bandwidth plus the FP64 products", () => {
    // Prepare: the figures by hand, n = 29 280
    const entries = 29_280 ** 2;
    const trafficS = (entries * 384) / (320e9 * 0.78);
    const productsS = (entries * 17 * 2 * 2) / 0.25e12;
    // Act
    const seconds = rowCheckSeconds(29_280, 17, 1, T4);
    // Assess: ~1.32 s of traffic and ~0.23 s of products
    expect(trafficS).toBeCloseTo(1.319, 3);
    expect(productsS).toBeCloseTo(0.233, 3);
    expect(seconds).toBeCloseTo(trafficS + productsS, 9);
  });

  it('grows with n², and with the rows and the GPUs for the products only: B is regenerated once (D13)', () => {
    // Prepare
    const base = rowCheckSeconds(10_000, 17);
    // Act
    const doubled = rowCheckSeconds(20_000, 17);
    const oneRow = rowCheckSeconds(10_000, 1);
    const eightGpus = rowCheckSeconds(10_000, 17, 8);
    // Assess
    expect(doubled / base).toBeCloseTo(4, 9);
    expect(oneRow).toBeGreaterThan(base / 17);
    expect(oneRow).toBeLessThan(base);
    // one row's products: (base − oneRow) / 16; seven more GPUs add only their 7·17 rows of products
    expect(eightGpus - base).toBeCloseTo((7 * 17 * (base - oneRow)) / 16, 9);
    expect(eightGpus).toBeLessThan(3 * base);
  });

  it('gives the values per second and the cost model its seconds per bundle (2 GPUs and 0.2 s of I/O)', () => {
    // Prepare
    const twoGpus = rowCheckSeconds(29_280, 17, 2);
    // Act
    const rate = rowCheckValuesPerSecond(29_280, 17);
    const rate8 = rowCheckValuesPerSecond(29_280, 17, 8);
    // Assess
    expect(rate).toBeCloseTo((17 * 29_280) / rowCheckSeconds(29_280, 17), 6);
    expect(rate8).toBeGreaterThan(3 * rate);
    expect(DEFAULT_ASSUMPTIONS.verificationSecondsPerBundle).toBe(Math.round((twoGpus + 0.2) * 10) / 10);
    expect(BUNDLE_ROWS_PER_GPU).toBe(parsePogEngineConfig().rowsPerGpu);
  });
});
