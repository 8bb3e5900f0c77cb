import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { identifyGpu } from '../../../lib/pog/identify.js';

const perf = DEFAULT_PERFORMANCE_CONFIG.gpu_performance;

describe('identifyGpu (reference §4.4)', () => {
  it.each(Object.keys(perf.GPU_TFLOPS_FP16))('identifies %s from its own reference triple', (gpu) => {
    // Prepare
    const figures = {
      fp16Tflops: perf.GPU_TFLOPS_FP16[gpu] as number,
      fp32Tflops: perf.GPU_TFLOPS_FP32[gpu] as number,
      vramGb: perf.GPU_AVRAM[gpu] as number,
    };
    // Act
    const name = identifyGpu(figures, null, perf);
    // Assess
    expect(name).toBe(gpu);
  });

  it('lets a tolerance partner override the identification, and ignores other names', () => {
    // Prepare
    const h100 = { fp16Tflops: 330, fp32Tflops: 37.2, vramGb: 34.36 };
    // Act / Assess
    expect(identifyGpu(h100, 'NVIDIA H100 80GB HBM3', perf)).toBe('NVIDIA H100 80GB HBM3');
    expect(identifyGpu(h100, 'NVIDIA H100 PCIe', perf)).toBe('NVIDIA H100');
    expect(identifyGpu(h100, 'NVIDIA B200', perf)).toBe('NVIDIA H100');
    expect(
      identifyGpu({ fp16Tflops: 157, fp32Tflops: 48.5, vramGb: 8.59 }, 'NVIDIA GeForce RTX 4090', perf),
    ).toBe('NVIDIA RTX 4090');
  });

  it('breaks exact ties by table order', () => {
    // Prepare: two GPUs with identical fingerprints, the later one listed second
    const tied = {
      ...perf,
      GPU_TFLOPS_FP16: { 'GPU X': 100, 'GPU Y': 100 },
      GPU_TFLOPS_FP32: { 'GPU X': 10, 'GPU Y': 10 },
      GPU_AVRAM: { 'GPU X': 8.59, 'GPU Y': 8.59 },
    };
    // Act / Assess
    expect(identifyGpu({ fp16Tflops: 90, fp32Tflops: 11, vramGb: 8.59 }, null, tied)).toBe('GPU X');
  });
});
