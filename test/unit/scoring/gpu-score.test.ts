import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { calcScorePog, maxGpuScore } from '../../../lib/scoring/gpu-score.js';

const perf = DEFAULT_PERFORMANCE_CONFIG.gpu_performance;
const score = (gpu_name: unknown, num_gpus: unknown): number =>
  calcScorePog({ gpu_name, num_gpus }, perf).score;

describe('Function: calcScorePog()', () => {
  // reference.md §9, bit for bit
  it.each([
    ['NVIDIA B200', 8, 1.0],
    ['NVIDIA H200', 8, 0.8],
    ['NVIDIA H100 80GB HBM3', 1, 0.0825],
    ['NVIDIA A100-SXM4-80GB', 12, 0.38],
    ['NVIDIA A100 80GB PCIe', 0, 0.0],
    ['NVIDIA L40s', 8, 0.18],
    ['NVIDIA L40', 4, 0.1],
    ['NVIDIA RTX A6000', 1, 0.01875],
    ['NVIDIA A40', 8, 0.0],
    ['NVIDIA RTX 4000 Ada Generation', 1, 0],
    ['NVIDIA GeForce GTX 1080', 2, 0],
    ['NVIDIA L40S', 1, 0],
    ['NVIDIA H100 80GB HBM3', 8, 0.66],
  ])('scores %s x%d as %d (golden vector)', (name, count, expected) => {
    // Act
    const actual = score(name, count);
    // Assess
    expect(actual).toBe(expected);
    expect(actual * 100).toBe(expected * 100);
  });

  it('keeps the reference order of operations, so H100 x3 is 0.20999999999999996', () => {
    // Act / Assess
    expect(score('NVIDIA H100', 3)).toBe(0.20999999999999996);
  });

  it('returns 0 where the reference raises: missing name, missing or null count, non-object specs', () => {
    // Act / Assess
    expect(score(undefined, 2)).toBe(0);
    expect(score('NVIDIA H200', null)).toBe(0);
    expect(score('NVIDIA H200', '2')).toBe(0);
    expect(calcScorePog(null, perf).score).toBe(0);
    expect(calcScorePog('NVIDIA H200', perf).kind).toBe('unscored');
  });

  it('derives the factor from the best GPU of the configured table (first max wins)', () => {
    // Prepare
    const custom = { ...perf, gpu_scores: { 'GPU A': 2, 'GPU B': 4, 'GPU C': 4 } };
    // Act
    const result = calcScorePog({ gpu_name: 'GPU B', num_gpus: 2 }, custom);
    // Assess
    expect(maxGpuScore(custom.gpu_scores)).toBe(32);
    expect(result.score).toBe((4 * 2 * (100 / 32) - 0) / 100);
  });
});
