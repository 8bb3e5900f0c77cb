import type { GpuPerformance } from '../config/gpu-performance.js';

/** The figures a benchmark yields: TFLOPS at fp16 and fp32, and the VRAM probe in GB. */
export interface GpuFigures {
  readonly fp16Tflops: number;
  readonly fp32Tflops: number;
  readonly vramGb: number;
}

/**
 * The reference's `identify_gpu` (reference §4.4): the GPU whose reference fingerprint has the
 * smallest mean relative deviation, first in table order on a tie; the reported name wins only
 * when it is the tolerance partner of the identified GPU.
 */
export function identifyGpu(
  figures: GpuFigures,
  reportedName: string | null,
  perf: GpuPerformance,
): string | null {
  let best: string | null = null;
  let bestDev = Number.POSITIVE_INFINITY;
  for (const [gpu, fp16Ref] of Object.entries(perf.GPU_TFLOPS_FP16)) {
    const fp32Ref = perf.GPU_TFLOPS_FP32[gpu];
    const vramRef = perf.GPU_AVRAM[gpu];
    if (fp32Ref === undefined || vramRef === undefined) continue;
    const dev =
      (Math.abs(figures.fp16Tflops - fp16Ref) / fp16Ref +
        Math.abs(figures.fp32Tflops - fp32Ref) / fp32Ref +
        Math.abs(figures.vramGb - vramRef) / vramRef) /
      3;
    // strict `<` keeps the first of equal deviations, like the reference's stable sort
    if (dev < bestDev) {
      best = gpu;
      bestDev = dev;
    }
  }
  if (best === null || !reportedName) return best;
  const pairs = perf.gpu_tolerance_pairs;
  if (pairs[best] === reportedName || pairs[reportedName] === best) return reportedName;
  return best;
}

/** TFLOPS from a timed n×n matmul, as the reference computes them. */
export function tflops(n: number, seconds: number): number {
  return (2 * n ** 3) / seconds / 1e12;
}
