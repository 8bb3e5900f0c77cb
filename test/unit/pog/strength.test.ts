import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { parsePogEngineConfig } from '../../../lib/pog/config.js';
import { identifyGpu } from '../../../lib/pog/identify.js';
import {
  partialComputeGpuPass,
  proofBytesPerGpu,
  roundPass,
  wrongEntriesGpuPass,
} from '../../../lib/pog/strength.js';
import { type GpuChallenge, pickRows, verifyGpuProof } from '../../../lib/pog/verify.js';
import { commit, honestC, proofResponse } from './challenge-helpers.js';

const defaults = parsePogEngineConfig({});
const strength = { rowsPerGpu: defaults.rowsPerGpu, entriesPerRow: defaults.entriesPerRow };

describe('default strength (analytic)', () => {
  it('lets a 90 %-of-rows cheater pass at most 0.1 % of 8-GPU rounds, where the reference lets ~96 % pass', () => {
    // Prepare / Act
    const ours = roundPass(8, partialComputeGpuPass(29_280, 0.9, strength));
    const reference = roundPass(
      8,
      partialComputeGpuPass(29_280, 0.9, { rowsPerGpu: 1, entriesPerRow: 1 }, 0),
    );
    // Assess
    expect(ours).toBeLessThanOrEqual(0.001);
    expect(reference).toBeCloseTo(0.962, 3);
  });

  it('keeps the proof transfer under 4 MB per GPU at n = 29 280', () => {
    // Prepare / Act
    const bytes = proofBytesPerGpu(29_280, strength);
    // Assess
    expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('makes 10 % wrong entries inside committed rows pass almost never', () => {
    // Prepare / Act / Assess
    expect(roundPass(8, wrongEntriesGpuPass(0.1, strength))).toBeLessThan(1e-6);
  });
});

/** One simulated single-GPU round against the real verifier at a small n. */
function simulate(n: number, trials: number, forge: (rows: Float32Array[]) => Float32Array[]): number {
  let passes = 0;
  const seedA = 77n;
  const seedB = 99n;
  const honest = honestC(n, seedA, seedB);
  for (let t = 0; t < trials; t++) {
    const committed = commit(forge(honest.map((r) => r.slice())));
    const challenge: GpuChallenge = {
      gpu: 0,
      n,
      seedA,
      seedB,
      root: committed.root,
      rows: pickRows(n, strength.rowsPerGpu),
    };
    if (verifyGpuProof(challenge, proofResponse(committed, challenge), strength.entriesPerRow).passed)
      passes++;
  }
  return passes / trials;
}

describe('detection per cheat class, by simulation with the real verifier (n = 64)', () => {
  const n = 64;

  it('partial computation of C: the pass rate matches the hypergeometric model', () => {
    // Prepare: 90 % of rows computed, the rest left at zero
    const forge = (rows: Float32Array[]) =>
      rows.map((r, i) => (i < Math.floor(0.9 * n) ? r : new Float32Array(n)));
    // Act
    const rate = simulate(n, 2_000, forge);
    // Assess: model 10.1 % at n = 64 (C(57,17)/C(64,17)); 2 000 trials put the bound at ~5 standard
    // deviations of the sampling noise (400 trials left it at 2.3: a ~2 % chance of failing by noise alone)
    const model = partialComputeGpuPass(n, Math.floor(0.9 * n) / n, strength, 0);
    expect(Math.abs(rate - model)).toBeLessThan(0.035);
  });

  it('wrong entries inside committed rows: a 30 % corruption is caught in nearly every round', () => {
    // Prepare
    const forge = (rows: Float32Array[]) =>
      rows.map((r) => r.map((v, j) => ((j * 7 + 3) % 10 < 3 ? v * 1.01 : v)));
    // Act
    const rate = simulate(n, 200, forge);
    // Assess
    expect(rate).toBeLessThanOrEqual(wrongEntriesGpuPass(0.3, strength, 0) + 0.02);
  });

  it('replayed results (an earlier session’s matrix) never pass', () => {
    // Prepare
    const old = honestC(n, 5n, 6n);
    // Act
    const rate = simulate(n, 100, () => old);
    // Assess
    expect(rate).toBe(0);
  });

  it('a spoofed GPU name never changes the identification unless it is a tolerance partner', () => {
    // Prepare: RTX 4090 figures claiming every other GPU
    const perf = DEFAULT_PERFORMANCE_CONFIG.gpu_performance;
    const figures = { fp16Tflops: 157, fp32Tflops: 48.5, vramGb: 8.59 };
    // Act
    const names = Object.keys(perf.GPU_TFLOPS_FP16).map((claimed) => identifyGpu(figures, claimed, perf));
    // Assess
    expect(new Set(names)).toEqual(new Set(['NVIDIA RTX 4090']));
  });

  it('honest miners always pass', () => {
    // Prepare / Act / Assess
    expect(simulate(n, 100, (rows) => rows)).toBe(1);
  });
});
