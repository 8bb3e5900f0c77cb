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
