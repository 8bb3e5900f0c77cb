import { describe, expect, it } from 'vitest';
import { formatSummaryTable, pyCenter, pyFixed, pyFloatStr } from '../../../lib/scoring/table.js';

describe('Summary table', () => {
  it('formats like Python: center, .2f with ties to even, float str', () => {
    // Act / Assess
    expect(pyCenter('abc', 8)).toBe('  abc   ');
    expect(pyCenter('abc', 9)).toBe('   abc   ');
    expect(pyCenter('ab', 5)).toBe('  ab ');
    expect([0.125, 0.625, 1.875, 20.999999999999996, 8.25, 0].map((x) => pyFixed(x, 2))).toEqual([
      '0.12',
      '0.62',
      '1.88',
      '21.00',
      '8.25',
      '0.00',
    ]);
    expect([0, 0.5, 3].map(pyFloatStr)).toEqual(['0.0', '0.5', '3.0']);
  });

  it('prints the reference layout: 190-wide rules, centred title, one row per uid', () => {
    // Prepare
    const stats = new Map([
      [
        7,
        {
          hotkey: 'hk',
          allocated: true,
          own_score: false,
          score: 56,
          gpu_specs: { gpu_name: 'NVIDIA H200', num_gpus: 7 },
          reliability_score: 0,
        },
      ],
      [
        8,
        {
          hotkey: 'hk8',
          allocated: false,
          own_score: true,
          score: 0,
          gpu_specs: { gpu_name: 'X', num_gpus: 0 },
          reliability_score: 0,
        },
      ],
    ]);
    // Act
    const lines = formatSummaryTable(stats).split('\n');
    // Assess
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('-'.repeat(190));
    expect(lines[1]).toHaveLength(190);
    expect(lines[1]?.trim()).toBe('MINER STATS SUMMARY');
    expect(lines[3]).toBe(
      `| UID: 7    | Hotkey: ${'hk'.padEnd(45)} | GPU: ${'7 x NVIDIA H200'.padEnd(36)} | Score: 56.00   | Allocated: yes   | RelScore: 0.0   | Source: External  |`,
    );
    expect(lines[4]).toContain('| GPU: No GPUs ');
    expect(lines[5]).toBe('-'.repeat(190));
  });
});
