import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { type ScoringSnapshotInput, ScoringSnapshotSchema } from '../../../lib/scoring/snapshot.js';
import { syncScores } from '../../../lib/scoring/sync.js';

const perf = DEFAULT_PERFORMANCE_CONFIG.gpu_performance;
const run = (input: Partial<ScoringSnapshotInput>) =>
  syncScores(ScoringSnapshotSchema.parse({ netuid: 27, uids: [], ...input }), perf);
const h200 = { gpu_name: 'NVIDIA H200', num_gpus: 8 };

describe('Function: syncScores()', () => {
  it('zeroes a non-queryable uid, replaces its stats and deletes its PoG rows', () => {
    // Act
    const { decisions, pogDeletions } = run({
      uids: [{ uid: 0, hotkey: 'hk0', queryable: false }],
      pogSpecs: { hk0: h200 },
      allocatedHotkeys: ['hk0'],
      previousStats: { '0': { reliability_score: 0.7 } },
    });
    // Assess
    expect(decisions[0]?.branch).toBe('not-queryable');
    expect(decisions[0]?.stat).toEqual({
      hotkey: 'hk0',
      allocated: true,
      own_score: true,
      score: 0,
      gpu_specs: null,
      reliability_score: 0,
    });
    expect(pogDeletions).toEqual(['hk0']);
  });

  it('scores a local PoG result and keeps the previous reliability score', () => {
    // Act
    const { decisions, pogDeletions } = run({
      uids: [{ uid: 4, hotkey: 'hk4', queryable: true }],
      pogSpecs: { hk4: { gpu_name: 'NVIDIA H100', num_gpus: 3 } },
      previousStats: { '4': { reliability_score: 0.25 } },
    });
    // Assess
    expect(decisions[0]?.branch).toBe('local-pog');
    expect(decisions[0]?.score).toBe(0.20999999999999996);
    expect(decisions[0]?.stat).toMatchObject({
      own_score: true,
      score: 20.999999999999996,
      reliability_score: 0.25,
    });
    expect(pogDeletions).toEqual([]);
  });

  it('prefers the local result over external consensus', () => {
    // Act
    const { decisions } = run({
      uids: [{ uid: 1, hotkey: 'hk1', queryable: true }],
      pogSpecs: { hk1: { gpu_name: 'NVIDIA L40', num_gpus: 4 } },
      statsAllocated: {
        '1': { hotkey: 'hk1', gpu_specs: h200, score: 80, allocated: true, own_score: true },
      },
    });
    // Assess
    expect(decisions[0]?.branch).toBe('local-pog');
    expect(decisions[0]?.score).toBe(0.1);
  });

  it('D1: takes an external score on 0-100, divides it by 100 for the vector and keeps it in stats', () => {
    // Act
    const { decisions } = run({
      uids: [{ uid: 3, hotkey: 'hk3', queryable: true }],
      allocatedHotkeys: ['hk3'],
      statsAllocated: {
        '3': { hotkey: 'hk3', gpu_specs: h200, score: 56, allocated: true, own_score: true },
      },
    });
    // Assess
    expect(decisions[0]?.branch).toBe('external-consensus');
    expect(decisions[0]?.score).toBe(0.56);
    expect(decisions[0]?.stat).toMatchObject({
      score: 56,
      own_score: false,
      allocated: true,
      gpu_specs: h200,
    });
  });

  it('clamps an out-of-range external score to 100', () => {
    // Act
    const { decisions } = run({
      uids: [{ uid: 3, hotkey: 'hk3', queryable: true }],
      statsAllocated: { '3': { gpu_specs: h200, score: 5600 } },
    });
    // Assess
    expect(decisions[0]?.score).toBe(1);
    expect(decisions[0]?.stat.score).toBe(100);
  });

  it('gives 0 and Local when the external entry has no gpu_specs object', () => {
    // Act
    const { decisions } = run({
      uids: [{ uid: 2, hotkey: 'hk2', queryable: true }],
      statsAllocated: { '2': { gpu_specs: '8 x H200', score: 80 } },
    });
    // Assess
    expect(decisions[0]?.branch).toBe('external-without-specs');
    expect(decisions[0]?.stat).toMatchObject({ score: 0, own_score: true, gpu_specs: null });
  });

  it('gives 0 and Local with no data at all, and treats a failure row as no data', () => {
    // Act
    const { decisions } = run({
      uids: [
        { uid: 0, hotkey: 'a', queryable: true },
        { uid: 1, hotkey: 'b', queryable: true },
      ],
      pogSpecs: { b: { gpu_name: null, num_gpus: null } },
    });
    // Assess
    expect(decisions.map((d) => d.branch)).toEqual(['no-data', 'no-data']);
    expect(decisions.every((d) => d.score === 0 && d.stat.own_score)).toBe(true);
  });

  it('D2: zeroes penalized hotkeys given as strings or as objects, keeping their specs', () => {
    // Act
    const { decisions } = run({
      uids: [
        { uid: 0, hotkey: 'plain', queryable: true },
        { uid: 1, hotkey: 'object', queryable: true },
      ],
      pogSpecs: { plain: h200, object: h200 },
      penalizedHotkeys: ['plain', { hotkey: 'object', status_code: 'ALLOCATION_FAILED', description: 'x' }],
    });
    // Assess
    expect(decisions.map((d) => [d.score, d.stat.score, d.penalized])).toEqual([
      [0, 0, true],
      [0, 0, true],
    ]);
    expect(decisions[1]?.stat.gpu_specs).toEqual(h200);
  });

  it('keeps the GPU specs of an unknown GPU while scoring it 0', () => {
    // Act
    const { decisions } = run({
      uids: [{ uid: 0, hotkey: 'x', queryable: true }],
      pogSpecs: { x: { gpu_name: 'NVIDIA RTX 4000 Ada Generation', num_gpus: 1 } },
    });
    // Assess
    expect(decisions[0]?.score).toBe(0);
    expect(decisions[0]?.stat.gpu_specs).toEqual({ gpu_name: 'NVIDIA RTX 4000 Ada Generation', num_gpus: 1 });
  });

  it('reads uid keys as integers, as the reference does ("007" is uid 7)', () => {
    // Act
    const { decisions } = run({
      uids: [{ uid: 7, hotkey: 'hk7', queryable: true }],
      statsAllocated: { '007': { gpu_specs: h200, score: 40 } },
      previousStats: { '07': { reliability_score: 0.5 } },
    });
    // Assess
    expect(decisions[0]?.branch).toBe('external-consensus');
    expect(decisions[0]?.stat).toMatchObject({ score: 40, reliability_score: 0.5 });
  });
});
