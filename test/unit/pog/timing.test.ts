import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import {
  benchmarkTimingProblem,
  computeBudget,
  computeTimingProblem,
  expectedMultiplicationS,
  type GpuTiming,
  MIN_MULTIPLICATION_BUDGET_S,
  MULTIPLICATION_SLACK,
} from '../../../lib/pog/timing.js';

const perf = DEFAULT_PERFORMANCE_CONFIG.gpu_performance;
const H100 = 'NVIDIA H100 80GB HBM3';
const N = 20_704; // n for the H100's 34.36 GB reference VRAM (reference §4.5)

/** An honest H100 benchmark: the payload's sizing for 34.36 GB at the reference rates. */
const honestBench = { num_gpus: 8, vram: 34.36, n16: 92_672, t16: 2.79, n32: 46_336, t32: 4.07 };

function parallel(count: number, mulS: number, startS = 0.4): GpuTiming[] {
  return Array.from({ length: count }, (_, gpu) => ({
    gpu,
    multiplicationS: mulS,
    startS: startS + gpu * 0.002,
    endS: startS + gpu * 0.002 + mulS,
  }));
}

describe('computeBudget', () => {
  it('derives the deadline from the table rate and our n, not from the GPU count or the miner', () => {
    // Prepare
    const expected = expectedMultiplicationS(N, 49.0);
    // Act
    const budget = computeBudget(perf, H100, N, 5);
    // Assess
    expect(expected).toBeCloseTo(0.362, 3);
    expect(budget).toEqual({
      fp32Tflops: 49.0,
      multiplicationS: MULTIPLICATION_SLACK * expected,
      deadlineS: 5 + MULTIPLICATION_SLACK * expected,
    });
  });

  it('floors the multiplication budget at tiny n and has none for a GPU without a FP32 rate', () => {
    // Prepare / Act
    const tiny = computeBudget(perf, H100, 64, 2);
    const unknown = computeBudget(perf, 'NVIDIA Imaginary 9000', 64, 2);
    // Assess
    expect(tiny?.deadlineS).toBe(2 + MIN_MULTIPLICATION_BUDGET_S);
    expect(unknown).toBeNull();
  });
});

describe('computeTimingProblem', () => {
  const budget = computeBudget(perf, H100, N, 5) as NonNullable<ReturnType<typeof computeBudget>>;

  it('passes 8 honest GPUs multiplying in parallel within the deadline', () => {
    // Prepare / Act / Assess
    expect(computeTimingProblem(3.1, budget, parallel(8, 0.37))).toBeNull();
  });

  it('fails 16 claimed GPUs whose compute took 16 multiplications (the reference would allow 5 + 16·t32)', () => {
    // Prepare / Act
    const problem = computeTimingProblem(5 + 16 * 0.37, budget, parallel(16, 0.37));
    // Assess
    expect(problem).toMatch(/^timing check failed: compute took 10\.92 s, deadline 5\.72 s/);
  });

  it('fails a set whose intervals lie one after another (one device answering for several)', () => {
    // Prepare
    const serial: GpuTiming[] = [0, 1, 2, 3].map((gpu) => ({
      gpu,
      multiplicationS: 0.37,
      startS: 0.2 + gpu * 0.37,
      endS: 0.2 + (gpu + 1) * 0.37,
    }));
    // Act
    const problem = computeTimingProblem(2.0, budget, serial);
    // Assess
    expect(problem).toBe('timing check failed: the 4 GPUs multiplied one after another, not in parallel');
  });

  it('fails two back-to-back GPUs even though they share an instant', () => {
    // Prepare
    const two: GpuTiming[] = [
      { gpu: 0, multiplicationS: 0.37, startS: 0.2, endS: 0.57 },
      { gpu: 1, multiplicationS: 0.37, startS: 0.57, endS: 0.94 },
    ];
    // Act / Assess
    expect(computeTimingProblem(1.2, budget, two)).toMatch(/one after another/);
  });

  it('checks each GPU against its share and against our clock', () => {
    // Prepare
    const slowGpu = parallel(2, 0.37).map((t) =>
      t.gpu === 1 ? { ...t, multiplicationS: 0.9, endS: (t.startS ?? 0) + 0.9 } : t,
    );
    const longerThanMeasured = parallel(1, 0.7);
    const shifted = [{ gpu: 0, multiplicationS: 0.3, startS: 4.0, endS: 4.3 }];
    const unbound = [{ gpu: 0, multiplicationS: 0.3 }];
    const mismatched = [{ gpu: 0, multiplicationS: 0.1, startS: 0.1, endS: 0.5 }];
    // Act / Assess
    expect(computeTimingProblem(2, budget, slowGpu)).toMatch(
      /^timing check failed: GPU 1 multiplied for 0\.9 s, its share is 0\.72 s/,
    );
    expect(computeTimingProblem(0.6, budget, longerThanMeasured)).toMatch(
      /GPU 0 multiplied for 0\.7 s, its share is 0\.6 s/,
    );
    expect(computeTimingProblem(1, budget, shifted)).toMatch(/GPU 0 interval does not fit the measured 1 s/);
    expect(computeTimingProblem(1, budget, unbound)).toMatch(/GPU 0 reports no multiplication interval/);
    expect(computeTimingProblem(1, budget, mismatched)).toMatch(/GPU 0 interval does not fit/);
  });

  it('allows honest thread skew at tiny n, where multiplications last microseconds', () => {
    // Prepare
    const tiny = computeBudget(perf, 'NVIDIA L4', 64, 2) as NonNullable<ReturnType<typeof computeBudget>>;
    const skewed: GpuTiming[] = [0, 1, 2, 3].map((gpu) => ({
      gpu,
      multiplicationS: 0.00002,
      startS: 0.01 + gpu * 0.02,
      endS: 0.01 + gpu * 0.02 + 0.00002,
    }));
    // Act / Assess
    expect(computeTimingProblem(0.5, tiny, skewed)).toBeNull();
  });
});

describe('benchmarkTimingProblem', () => {
  it('passes an honest benchmark whose command took longer than its matmuls', () => {
    // Prepare / Act / Assess
    expect(benchmarkTimingProblem(honestBench, 9.5, 34.36)).toBeNull();
  });

  it('fails n32 = 1e6, t32 = 40 816 s at the H100 rate: more matmul time than the command took', () => {
    // Prepare
    const inflated = { ...honestBench, n32: 1_000_000, t32: 40_816 };
    // Act / Assess
    expect(benchmarkTimingProblem(inflated, 9.5, 34.36)).toBe(
      'timing check failed: benchmark reports 40818.79 s of matmuls in a 9.5 s command',
    );
  });

  it('fails a matrix size the GPU cannot hold, even with a plausible time', () => {
    // Prepare
    const huge = { ...honestBench, n32: 200_000, t32: 1 };
    // Act / Assess
    expect(benchmarkTimingProblem(huge, 9.5, 34.36)).toMatch(/matrix size beyond the GPU’s VRAM/);
    expect(benchmarkTimingProblem({ ...honestBench, n16: 140_000, t16: 1 }, 9.5, 34.36)).toMatch(/VRAM/);
  });
});
