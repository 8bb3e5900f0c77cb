import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG, parsePerformanceConfig } from '../../../lib/config/gpu-performance.js';
import { ConfigError } from '../../../lib/errors.js';

describe('Function: parsePerformanceConfig()', () => {
  it('accepts the shipped reference default unchanged', () => {
    // Act
    const parsed = parsePerformanceConfig(DEFAULT_PERFORMANCE_CONFIG);
    // Assess
    expect(parsed).toEqual(DEFAULT_PERFORMANCE_CONFIG);
    expect(Object.keys(parsed.gpu_performance.gpu_scores)[0]).toBe('NVIDIA B200');
  });

  it('rejects a negative score and names the key and the value', () => {
    // Prepare
    const bad = structuredClone(DEFAULT_PERFORMANCE_CONFIG) as unknown as {
      gpu_performance: { gpu_scores: Record<string, number> };
    };
    bad.gpu_performance.gpu_scores['NVIDIA H200'] = -4;
    // Act
    const act = (): unknown => parsePerformanceConfig(bad);
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/gpu_performance\.gpu_scores\.NVIDIA H200.*given -4/);
  });

  it('rejects a fingerprint table that misses a GPU', () => {
    // Prepare
    const bad = structuredClone(DEFAULT_PERFORMANCE_CONFIG) as unknown as {
      gpu_performance: { GPU_AVRAM: Record<string, number> };
    };
    delete bad.gpu_performance.GPU_AVRAM['NVIDIA L4'];
    // Act / Assess
    expect(() => parsePerformanceConfig(bad)).toThrow(/GPU_AVRAM\.NVIDIA L4: missing/);
  });
});

describe('identifiable GPUs need every PoG table (issue 12)', () => {
  it('refuses a tolerance-pair alias that lacks GPU_AVRAM, naming the key', () => {
    // Prepare: an alias that identify_gpu would return for a reported name, with FP16/FP32 but no VRAM
    const bad = structuredClone(DEFAULT_PERFORMANCE_CONFIG) as unknown as {
      gpu_performance: {
        GPU_TFLOPS_FP16: Record<string, number>;
        GPU_TFLOPS_FP32: Record<string, number>;
        gpu_tolerance_pairs: Record<string, string>;
      };
    };
    bad.gpu_performance.gpu_tolerance_pairs['NVIDIA H100 NVL'] = 'NVIDIA H100';
    bad.gpu_performance.gpu_tolerance_pairs['NVIDIA H100'] = 'NVIDIA H100 NVL';
    bad.gpu_performance.GPU_TFLOPS_FP16['NVIDIA H100 NVL'] = 330;
    bad.gpu_performance.GPU_TFLOPS_FP32['NVIDIA H100 NVL'] = 37.2;
    // Act
    const act = (): unknown => parsePerformanceConfig(bad);
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/GPU_AVRAM\.NVIDIA H100 NVL: missing; every identifiable GPU/);
  });

  it('refuses an alias that is in no table at all, once per table', () => {
    // Prepare
    const bad = structuredClone(DEFAULT_PERFORMANCE_CONFIG) as unknown as {
      gpu_performance: { gpu_tolerance_pairs: Record<string, string> };
    };
    bad.gpu_performance.gpu_tolerance_pairs['NVIDIA L40'] = 'NVIDIA L40 Alias';
    // Act
    let message = '';
    try {
      parsePerformanceConfig(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    // Assess
    for (const table of ['GPU_TFLOPS_FP16', 'GPU_TFLOPS_FP32', 'GPU_AVRAM']) {
      expect(message).toContain(`${table}.NVIDIA L40 Alias: missing`);
    }
  });

  it('accepts the reference tables unchanged', () => {
    // Prepare / Act / Assess
    expect(parsePerformanceConfig(structuredClone(DEFAULT_PERFORMANCE_CONFIG))).toEqual(
      DEFAULT_PERFORMANCE_CONFIG,
    );
  });
});
