import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UidStat } from '../../../lib/ports.js';
import {
  collectPenalties,
  consensusStats,
  parseStatEntry,
  pickDominant,
  unionAllocated,
  validValidatorHotkeys,
} from '../../../lib/wandb/consensus.js';

const HK = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

function stat(gpu: string | null, count: number, score: number, extra: Partial<UidStat> = {}): UidStat {
  return {
    hotkey: HK,
    gpu_specs: gpu === null ? null : { gpu_name: gpu, num_gpus: count },
    score,
    allocated: true,
    own_score: true,
    reliability_score: 0,
    ...extra,
  };
}

describe('Function: pickDominant()', () => {
  it('takes the most common (gpu_name, num_gpus, score) triple', () => {
    // Prepare
    const entries = [stat('A100', 8, 38), stat('H100', 8, 66), stat('A100', 8, 38)];
    // Act
    const chosen = pickDominant(entries);
    // Assess
    expect(chosen).toBe(entries[0]);
  });

  it('breaks a count tie by the highest score', () => {
    // Prepare
    const entries = [stat('A100', 8, 38), stat('H100', 8, 66), stat('A100', 8, 38), stat('H100', 8, 66)];
    // Act / Assess
    expect(pickDominant(entries)).toBe(entries[1]);
  });

  it('breaks a count-and-score tie by the first triple seen, and returns its first entry', () => {
    // Prepare
    const entries = [
      stat('L40', 4, 10, { reliability_score: 1 }),
      stat('A40', 8, 10),
      stat('L40', 4, 10, { reliability_score: 2 }),
      stat('A40', 8, 10),
    ];
    // Act / Assess
    expect(pickDominant(entries)).toBe(entries[0]);
  });

  it('treats a different GPU count as a different triple', () => {
    // Prepare
    const entries = [stat('H100', 4, 33), stat('H100', 8, 33), stat('H100', 8, 33)];
    // Act / Assess
    expect(pickDominant(entries)).toBe(entries[1]);
  });

  it('always returns an input whose triple is at least as common as any other, and on a tie the highest score', () => {
    const arbStat = fc
      .record({
        gpu: fc.constantFrom('H100', 'A100', 'L40', null),
        count: fc.integer({ min: 1, max: 3 }),
        score: fc.constantFrom(10, 38, 66),
      })
      .map(({ gpu, count, score }) => stat(gpu, count, score));
    fc.assert(
      fc.property(fc.array(arbStat, { minLength: 1, maxLength: 12 }), (entries) => {
        // Act
        const chosen = pickDominant(entries);
        // Assess
        const key = (s: UidStat) => JSON.stringify([s.gpu_specs?.gpu_name, s.gpu_specs?.num_gpus, s.score]);
        const counts = new Map<string, number>();
        for (const e of entries) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
        const chosenCount = counts.get(key(chosen)) ?? 0;
        expect(entries.indexOf(chosen)).toBe(entries.findIndex((e) => key(e) === key(chosen)));
        for (const e of entries) {
          const count = counts.get(key(e)) ?? 0;
          expect(chosenCount).toBeGreaterThanOrEqual(count);
          if (count === chosenCount) expect(chosen.score).toBeGreaterThanOrEqual(e.score);
        }
      }),
    );
  });
});

describe('Function: consensusStats()', () => {
  const entry = (score: number, extra: Record<string, unknown> = {}) => ({
    uid: 1,
    hotkey: HK,
    gpu_specs: { gpu_name: 'NVIDIA H200', num_gpus: 8 },
    score,
    allocated: true,
    own_score: true,
    reliability_score: 0,
    ...extra,
  });

  it('keeps only own, allocated, positive entries (§6.3 step 2)', () => {
    // Prepare
    const stats = {
      '1': entry(80),
      '2': entry(80, { own_score: false }),
      '3': entry(80, { allocated: false }),
      '4': entry(0),
      '5': entry(80, { own_score: 1 }),
      '6': entry(-5),
    };
    // Act
    const result = consensusStats([{ stats }]);
    // Assess
    expect(Object.keys(result.stats)).toEqual(['1']);
    expect(result.malformed).toBe(0);
  });

  it('takes a single entry as is and marks it own_score, keyed by canonical uid', () => {
    // Prepare / Act
    const result = consensusStats([{ stats: { '007': entry(80, { reliability_score: 0.25 }) } }]);
    // Assess
    expect(result.stats).toEqual({
      '7': {
        hotkey: HK,
        gpu_specs: { gpu_name: 'NVIDIA H200', num_gpus: 8 },
        score: 80,
        allocated: true,
        own_score: true,
        reliability_score: 0.25,
      },
    });
  });

  it('counts eligible-looking but invalid entries as malformed (score above 100, bad uid, bad gpu count)', () => {
    // Prepare
    const stats = {
      '1': entry(5600),
      abc: entry(10),
      '2': entry(10, { gpu_specs: { gpu_name: 'X', num_gpus: -1 } }),
      '3': entry(10, { hotkey: 7 }),
    };
    // Act
    const result = consensusStats([{ stats }]);
    // Assess
    expect(result.stats).toEqual({});
    expect(result.malformed).toBe(4);
  });

  it('reads stats published as a JSON string, and ignores non-object stats', () => {
    // Prepare / Act
    const result = consensusStats([
      { stats: JSON.stringify({ '9': entry(12) }) },
      { stats: [entry(1)] },
      { stats: 'nope' },
    ]);
    // Assess
    expect(Object.keys(result.stats)).toEqual(['9']);
  });

  it('reads later reference layouts (gpu_num, flattened gpu_name) into the same triple', () => {
    // Prepare
    const a = entry(66, { gpu_specs: { gpu_name: 'NVIDIA H100', gpu_num: 8 } });
    const b = { ...entry(66), gpu_specs: undefined, gpu_name: 'NVIDIA H100', gpu_num: 8 };
    const c = entry(38, { gpu_specs: { gpu_name: 'NVIDIA A100', num_gpus: 8 } });
    // Act
    const result = consensusStats([{ stats: { '1': c } }, { stats: { '1': a } }, { stats: { '1': b } }]);
    // Assess
    expect(result.stats['1']?.gpu_specs).toEqual({ gpu_name: 'NVIDIA H100', num_gpus: 8 });
  });
});

describe('Function: parseStatEntry()', () => {
  it('maps a missing GPU name to gpu_specs null and a missing reliability to 0', () => {
    // Act
    const parsed = parseStatEntry({
      hotkey: HK,
      score: 1,
      allocated: true,
      own_score: true,
      gpu_specs: null,
    });
    // Assess
    expect(parsed).toEqual({
      hotkey: HK,
      gpu_specs: null,
      score: 1,
      allocated: true,
      own_score: true,
      reliability_score: 0,
    });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        // Act / Assess
        expect(() => parseStatEntry(value)).not.toThrow();
      }),
    );
  });
});

describe('Function: unionAllocated()', () => {
  it('concatenates lists without duplicates, dropping non-strings and non-lists', () => {
    // Act
    const union = unionAllocated([['a', 'b', 3], 'not-a-list', ['b', 'c', null], { a: 1 }]);
    // Assess
    expect(union).toEqual(['a', 'b', 'c']);
  });
});

describe('Function: collectPenalties()', () => {
  it('accepts strings and {hotkey, status_code, description} objects (D2), first entry per hotkey wins', () => {
    // Prepare
    const lists = [
      ['5A', { hotkey: '5B', status_code: 'ALLOCATION_FAILED', description: 'x', extra: { deep: true } }],
      [{ hotkey: '5A', status_code: 'SSH_ACCESS_DISABLED' }, { hotkey: 5 }, null, '', { status_code: 'X' }],
    ];
    // Act
    const penalties = collectPenalties(lists);
    // Assess
    expect(penalties).toEqual(['5A', { hotkey: '5B', status_code: 'ALLOCATION_FAILED', description: 'x' }]);
  });

  it('drops a non-string status_code but keeps the hotkey', () => {
    // Act / Assess
    expect(collectPenalties([[{ hotkey: '5C', status_code: 7 }]])).toEqual([{ hotkey: '5C' }]);
  });
});

describe('Function: validValidatorHotkeys()', () => {
  it('keeps stakes strictly above the permit stake', () => {
    // Prepare
    const neuron = (hotkey: string, stake: number) => ({
      uid: 0,
      hotkey,
      coldkey: hotkey,
      axon: null,
      stake,
      validatorPermit: false,
      active: true,
      lastUpdate: 0,
    });
    const metagraph = {
      netuid: 27,
      block: 1,
      neurons: [neuron('above', 10_000.5), neuron('equal', 10_000), neuron('nan', Number.NaN)],
    };
    // Act / Assess
    expect([...validValidatorHotkeys(metagraph, 1e4)]).toEqual(['above']);
  });
});
