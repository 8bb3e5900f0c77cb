import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import {
  type ScoringSnapshotInput,
  ScoringSnapshotSchema,
  scoreSnapshot,
} from '../../../lib/scoring/index.js';

const gpuNames = [
  ...Object.keys(DEFAULT_PERFORMANCE_CONFIG.gpu_performance.GPU_TFLOPS_FP16),
  'NVIDIA L40S',
  'Unknown GPU',
];

/** Random but valid snapshots: uids 0..n-1 with overlapping hotkeys, PoG rows, consensus and penalties. */
const snapshotArb = fc.integer({ min: 0, max: 40 }).chain((n) => {
  const hotkeys = Array.from({ length: n }, (_, i) => `hk${i}`);
  const specs = fc.record({
    gpu_name: fc.constantFrom(...gpuNames),
    num_gpus: fc.integer({ min: 0, max: 16 }),
  });
  const someHotkeys = fc.subarray(hotkeys);
  return fc
    .record({
      netuid: fc.constant(27),
      mode: fc.constantFrom('scores' as const, 'scores' as const, 'burn' as const),
      burnUid: fc.integer({ min: 0, max: 255 }),
      uids: fc
        .tuple(...hotkeys.map(() => fc.boolean()))
        .map((flags) => flags.map((queryable, uid) => ({ uid, hotkey: `hk${uid}`, queryable }))),
      pogSpecs: someHotkeys.chain((hks) =>
        fc.tuple(...hks.map(() => specs)).map((s) => Object.fromEntries(hks.map((h, i) => [h, s[i]]))),
      ),
      allocatedHotkeys: someHotkeys,
      penalizedHotkeys: someHotkeys.map((hks) =>
        hks.map((h, i) => (i % 2 === 0 ? h : { hotkey: h, status_code: 'X' })),
      ),
      statsAllocated: fc.subarray(Array.from({ length: n }, (_, i) => i)).chain((uids) =>
        fc
          .tuple(
            ...uids.map(() =>
              fc.record({
                gpu_specs: fc.oneof(specs, fc.constant(null)),
                score: fc.double({ min: 0, max: 100, noNaN: true }),
                allocated: fc.constant(true),
                own_score: fc.constant(true),
              }),
            ),
          )
          .map((entries) =>
            Object.fromEntries(uids.map((u, i) => [String(u), { hotkey: `hk${u}`, ...entries[i] }])),
          ),
      ),
    })
    .map((snapshot) => snapshot as ScoringSnapshotInput);
});

const decide = (input: ScoringSnapshotInput) =>
  scoreSnapshot(ScoringSnapshotSchema.parse(input), DEFAULT_PERFORMANCE_CONFIG);

describe('Properties of scoreSnapshot()', () => {
  it('emits no zero weight, tops at exactly 65535, and keeps uids unique and known', () => {
    fc.assert(
      fc.property(snapshotArb, (input) => {
        // Act
        const { weights } = decide(input);
        // Assess
        expect(weights.weights.every((w) => Number.isInteger(w) && w > 0 && w <= 65535)).toBe(true);
        if (weights.weights.length > 0) expect(Math.max(...weights.weights)).toBe(65535);
        expect(new Set(weights.uids).size).toBe(weights.uids.length);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every score in [0, 1] and every stats score in [0, 100]', () => {
    fc.assert(
      fc.property(snapshotArb, (input) => {
        // Act
        const decision = decide(input);
        // Assess
        expect(decision.scores.every((s) => s >= 0 && s <= 1)).toBe(true);
        expect(Object.values(decision.stats).every((s) => s.score >= 0 && s.score <= 100)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and independent of the order of the uids', () => {
    fc.assert(
      fc.property(snapshotArb, (input) => {
        // Act
        const first = decide(input);
        const reversed = decide({ ...input, uids: [...input.uids].reverse() });
        // Assess
        expect(JSON.stringify(reversed)).toBe(JSON.stringify(first));
      }),
      { numRuns: 100 },
    );
  });

  it('matches an independent numpy re-statement of the reference on random snapshots', () => {
    // Prepare
    const inputs = fc.sample(snapshotArb, { numRuns: 300, seed: 27 });
    const cases = inputs.map((snapshot) => ({
      snapshot,
      gpu_scores: DEFAULT_PERFORMANCE_CONFIG.gpu_performance.gpu_scores,
    }));
    // Act
    const oracle = spawnSync('python3', ['test/oracle/reference_scoring.py'], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const ours = inputs.map((input) => {
      const d = decide(input);
      return { stats: d.stats, weights: d.weights, pogDeletions: d.pogDeletions, scores: d.scores };
    });
    // Assess
    expect(oracle.status, oracle.stderr).toBe(0);
    const expected = JSON.parse(oracle.stdout) as unknown[];
    expect(expected).toHaveLength(ours.length);
    for (const [i, decision] of ours.entries()) expect(decision, `case ${i}`).toEqual(expected[i]);
  });
});
