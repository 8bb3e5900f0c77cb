import type { GpuPerformance } from '../config/gpu-performance.js';
import type { Benchmark } from './verify.js';

/**
 * Timing the miner cannot stretch (issue 12). The reference derives the compute deadline from the
 * miner's own benchmark (`tolerance + num_gpus·t32`), so a miner reporting a scaled n32/t32 pair (same
 * TFLOPS, same fingerprint) or claiming more GPUs buys itself more time. Here every bound comes from
 * our own clock, the n we chose and the GPU table; the miner's figures are only checked against them.
 */

/** A GPU may multiply at half its reference FP32 rate (the table holds measured fingerprints, not peaks). */
export const MULTIPLICATION_SLACK = 2;
/** Floor of one GPU's multiplication budget: kernel launch, synchronisation and timer granularity at tiny n. */
export const MIN_MULTIPLICATION_BUDGET_S = 0.5;
/**
 * How far apart the GPUs' multiplications may start and end and still count as parallel: thread
 * start-up and uneven generation spread honest GPUs by milliseconds; a device working the GPUs one
 * after another spreads them by a whole multiplication.
 */
export const PARALLEL_SKEW_S = 0.1;
/** Clock difference allowed between a reported interval and our measurement (rounding, clock reads). */
const CLOCK_EPSILON_S = 0.05;

/** Seconds an n×n FP32 matmul takes at `fp32Tflops` (2n³ flops). */
export function expectedMultiplicationS(n: number, fp32Tflops: number): number {
  return (2 * n ** 3) / (fp32Tflops * 1e12);
}

/** One GPU's share of the compute deadline: its multiplication at the identified GPU's reference rate, with slack. */
export function multiplicationBudgetS(n: number, fp32Tflops: number): number {
  return Math.max(MULTIPLICATION_SLACK * expectedMultiplicationS(n, fp32Tflops), MIN_MULTIPLICATION_BUDGET_S);
}

export interface ComputeBudget {
  /** The identified GPU's reference FP32 rate (TFLOPS) from the GPU table. */
  readonly fp32Tflops: number;
  /** Budget of one GPU's multiplication (seconds). */
  readonly multiplicationS: number;
  /**
   * Deadline of the whole compute command on our clock: the tolerance plus one multiplication
   * budget. It does not grow with the number of GPUs: they work in parallel.
   */
  readonly deadlineS: number;
}

/** The compute budget for `gpuName` at our n; a GPU missing from the FP32 table has none (`null`). */
export function computeBudget(
  perf: GpuPerformance,
  gpuName: string,
  n: number,
  toleranceS: number,
): ComputeBudget | null {
  const fp32Tflops = perf.GPU_TFLOPS_FP32[gpuName];
  if (fp32Tflops === undefined || !(fp32Tflops > 0)) return null;
  const multiplicationS = multiplicationBudgetS(n, fp32Tflops);
  return { fp32Tflops, multiplicationS, deadlineS: toleranceS + multiplicationS };
}

/** Largest n the payload's own sizing gives for `vramGb` (reference `adjust_matrix_size`). */
function payloadN(vramGb: number, elementSize: number, bufferFactor: number): number {
  return Math.floor(Math.floor(Math.sqrt((vramGb * bufferFactor * 1e9) / (elementSize * 2))) / 32) * 32;
}

/**
 * Checks the miner's benchmark figures against what we measured and what its GPU can hold. Returns
 * the failure reason, or null when plausible.
 * - The two timed matmuls ran inside the benchmark command, so `t16 + t32` cannot exceed the
 *   command's duration on our clock.
 * - n16 and n32 must fit the identified GPU: at most the payload's own sizing for twice the table's
 *   VRAM (the table holds the probe's power-of-two floor, physical memory is below twice that).
 */
export function benchmarkTimingProblem(
  bench: Benchmark,
  measuredS: number,
  referenceVramGb: number,
): string | null {
  if (bench.t16 + bench.t32 > measuredS) {
    return `timing check failed: benchmark reports ${round(bench.t16 + bench.t32)} s of matmuls in a ${round(measuredS)} s command`;
  }
  if (
    bench.n16 > payloadN(2 * referenceVramGb, 2, 1.0) ||
    bench.n32 > payloadN(2 * referenceVramGb, 4, 0.5)
  ) {
    return 'timing check failed: benchmark matrix size beyond the GPU’s VRAM';
  }
  return null;
}

/** What the payload reports per GPU about its multiplication (offsets from the compute command's start). */
export interface GpuTiming {
  readonly gpu: number;
  readonly multiplicationS: number;
  readonly startS?: number | undefined;
  readonly endS?: number | undefined;
}

/**
 * The compute timing check. `elapsedS` is our clock around the compute command. Fails when:
 * the command ran to the deadline; a GPU reports a multiplication longer than its share, or an
 * interval that does not fit our measurement; or the GPUs' intervals do not overlap, i.e. the set
 * could only have run one after another (one device claimed as several). Returns the reason or null.
 *
 * A miner that forges parallel-looking intervals is still bounded by the deadline: serial work of
 * k GPUs must fit into one multiplication budget plus the tolerance.
 */
export function computeTimingProblem(
  elapsedS: number,
  budget: ComputeBudget,
  timings: readonly GpuTiming[],
): string | null {
  if (elapsedS >= budget.deadlineS) {
    return `timing check failed: compute took ${round(elapsedS)} s, deadline ${round(budget.deadlineS)} s`;
  }
  for (const t of timings) {
    if (t.multiplicationS > budget.multiplicationS || t.multiplicationS > elapsedS) {
      return `timing check failed: GPU ${t.gpu} multiplied for ${round(t.multiplicationS)} s, its share is ${round(Math.min(budget.multiplicationS, elapsedS))} s`;
    }
    if (t.startS === undefined || t.endS === undefined) {
      return `timing check failed: GPU ${t.gpu} reports no multiplication interval`;
    }
    if (
      t.startS < 0 ||
      t.endS < t.startS ||
      t.endS > elapsedS + CLOCK_EPSILON_S ||
      Math.abs(t.endS - t.startS - t.multiplicationS) > CLOCK_EPSILON_S
    ) {
      return `timing check failed: GPU ${t.gpu} interval does not fit the measured ${round(elapsedS)} s`;
    }
  }
  if (timings.length > 1) {
    const latestStart = Math.max(...timings.map((t) => t.startS ?? 0));
    const earliestEnd = Math.min(...timings.map((t) => t.endS ?? 0));
    const shortest = Math.min(...timings.map((t) => t.multiplicationS));
    // parallel GPUs share most of their multiplication; back-to-back ones share none of it
    if (earliestEnd - latestStart < shortest / 2 - PARALLEL_SKEW_S) {
      return `timing check failed: the ${timings.length} GPUs multiplied one after another, not in parallel`;
    }
  }
  return null;
}

function round(s: number): number {
  return Math.round(s * 100) / 100;
}
