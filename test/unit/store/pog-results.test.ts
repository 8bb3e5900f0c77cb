import { describe, expect, it } from 'vitest';
import { newestSpecs, type PogRow } from '../../../lib/store/pog-results.js';
import { TABLE_DEFINITIONS, tableNamesWithPrefix } from '../../../lib/store/tables.js';

const row = (sk: string, gpu: string | null, n: number | null): PogRow => ({
  hotkey: 'h',
  sk,
  uid: 0,
  roundId: sk,
  gpuName: gpu,
  numGpus: n,
  attempts: 1,
  durationMs: 1,
  createdAt: sk,
});

describe('Function: newestSpecs()', () => {
  it('skips failure rows and returns the newest success (get_pog_specs)', () => {
    // Prepare
    const rows = [row('4', null, null), row('3', 'B', null), row('2', 'A', 2), row('1', 'Z', 8)];
    // Act / Assess
    expect(newestSpecs(rows)).toEqual({ gpu_name: 'A', num_gpus: 2 });
    expect(newestSpecs([row('1', null, null)])).toBeNull();
  });
});

describe('Table definitions', () => {
  it('give every logical table a name and a TTL only on coordination', () => {
    // Prepare / Act
    const names = tableNamesWithPrefix('p');
    // Assess
    expect(Object.keys(names).sort()).toEqual(Object.keys(TABLE_DEFINITIONS).sort());
    expect(
      Object.entries(TABLE_DEFINITIONS)
        .filter(([, d]) => d.timeToLiveAttribute)
        .map(([k]) => k),
    ).toEqual(['coordination']);
  });
});
