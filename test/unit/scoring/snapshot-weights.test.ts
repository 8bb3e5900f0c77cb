import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { scoreSnapshot } from '../../../lib/scoring/index.js';
import { type ScoringSnapshotInput, ScoringSnapshotSchema } from '../../../lib/scoring/snapshot.js';

/** Eight queryable uids hk0..hk7, the chain limits given, and whatever `extra` adds. */
const decide = (limits: { minAllowedWeights: number }, extra: Partial<ScoringSnapshotInput> = {}) =>
  scoreSnapshot(
    ScoringSnapshotSchema.parse({
      netuid: 27,
      uids: Array.from({ length: 8 }, (_, uid) => ({ uid, hotkey: `hk${uid}`, queryable: true })),
      chainLimits: { maxWeightsLimit: 65535, ...limits },
      ...extra,
    }),
    DEFAULT_PERFORMANCE_CONFIG,
  );

describe('Function: scoreSnapshot() with chain limits', () => {
  it('emits nothing when no uid has a positive score (golden [0, 0, 0] → nothing to set)', () => {
    // Act
    const decision = decide({ minAllowedWeights: 1 });

    // Assess: not uniform weights over every uid
    expect(decision.scores).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(decision.weights).toEqual({ uids: [], weights: [] });
  });

  it('keeps the scores when MinAllowedWeights exceeds the subnet size', () => {
    // Act
    const decision = decide(
      { minAllowedWeights: 1024 },
      { pogSpecs: { hk5: { gpu_name: 'NVIDIA H200', num_gpus: 8 } } },
    );

    // Assess
    expect(decision.weights.uids).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(decision.weights.weights).toEqual([1, 1, 1, 1, 1, 65535, 1, 1]);
  });

  it('burn mode still burns when MinAllowedWeights exceeds the subnet size, and with no score at all', () => {
    // Act
    const decision = decide({ minAllowedWeights: 1024 }, { mode: 'burn', burnUid: 3 });

    // Assess
    expect(decision.weights.uids).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(decision.weights.weights).toEqual([1, 1, 1, 65535, 1, 1, 1, 1]);
  });
});
