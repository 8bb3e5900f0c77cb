import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../lib/cli/main.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';

const dir = mkdtempSync(join(tmpdir(), 'pog-cli-'));
function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}
function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: {},
  });
  return { code, stdout, stderr };
}

const snapshot = {
  netuid: 27,
  mode: 'scores',
  uids: [
    { uid: 0, hotkey: 'hkA', queryable: true },
    { uid: 1, hotkey: 'hkB', queryable: false },
    { uid: 2, hotkey: 'hkC', queryable: true },
  ],
  pogSpecs: {
    hkA: { gpu_name: 'NVIDIA H100 80GB HBM3', num_gpus: 1 },
    hkB: { gpu_name: 'NVIDIA H200', num_gpus: 8 },
  },
  allocatedHotkeys: ['hkC'],
  penalizedHotkeys: [],
  statsAllocated: {
    '2': {
      hotkey: 'hkC',
      gpu_specs: { gpu_name: 'NVIDIA L40', num_gpus: 2 },
      score: 5,
      allocated: true,
      own_score: true,
      reliability_score: 0,
    },
  },
};

describe('CLI: score', () => {
  it('prints the decision as JSON with the published field names', () => {
    // Act
    const out = cli('score', '--snapshot', file('ok.json', snapshot));
    // Assess
    expect(out.code).toBe(0);
    const parsed = JSON.parse(out.stdout);
    expect(Object.keys(parsed)).toEqual(['stats', 'weights', 'pogDeletions']);
    expect(Object.keys(parsed.stats['0'])).toEqual([
      'hotkey',
      'allocated',
      'own_score',
      'score',
      'gpu_specs',
      'reliability_score',
    ]);
    expect(parsed.stats['0'].score).toBe(8.25);
    expect(parsed.stats['2']).toMatchObject({ score: 5, own_score: false, allocated: true });
    expect(parsed.weights).toEqual({ uids: [0, 2], weights: [65535, 39718] });
    expect(parsed.pogDeletions).toEqual(['hkB']);
  });

  it('prints burn weights to the owner uid in burn mode', () => {
    // Act
    const out = cli('score', '--snapshot', file('burn.json', { ...snapshot, mode: 'burn', burnUid: 123 }));
    // Assess
    expect(JSON.parse(out.stdout).weights).toEqual({ uids: [123], weights: [65535] });
  });

  it('prints the summary table with --table and an explanation with --explain', () => {
    // Act
    const table = cli('score', '--snapshot', file('t.json', snapshot), '--table');
    const explain = cli('score', '--snapshot', file('t.json', snapshot), '--explain', '1');
    // Assess
    expect(table.stdout).toContain('MINER STATS SUMMARY');
    expect(table.stdout).toContain('| UID: 0    | Hotkey: hkA');
    expect(explain.stdout).toContain('branch: not-queryable');
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['a string uid', { ...snapshot, uids: [{ uid: 'x', hotkey: 'a', queryable: true }] }, /uids\.0\.uid/],
    [
      'a duplicate uid',
      { ...snapshot, uids: [snapshot.uids[0], snapshot.uids[0]] },
      /uids\.1\.uid: duplicate uid 0/,
    ],
    ['burn without burnUid', { ...snapshot, mode: 'burn' }, /burnUid: is required/],
    [
      'a negative GPU count',
      { ...snapshot, pogSpecs: { hkA: { gpu_name: 'X', num_gpus: -1 } } },
      /pogSpecs\.hkA\.num_gpus/,
    ],
    ['a non-uid key', { ...snapshot, statsAllocated: { abc: {} } }, /statsAllocated\.abc/],
  ])('exits 2 on %s, naming the field, with nothing on stdout', (_, content, message) => {
    // Act
    const out = cli('score', '--snapshot', file('bad.json', content));
    // Assess
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(message);
  });

  it('exits 2 on a bad config override, naming the key and value', () => {
    // Prepare
    const config = structuredClone(DEFAULT_PERFORMANCE_CONFIG) as unknown as {
      merkle_proof: Record<string, unknown>;
    };
    config.merkle_proof.pog_retry_limit = 'many';
    // Act
    const out = cli('score', '--snapshot', file('s.json', snapshot), '--config', file('c.json', config));
    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/merkle_proof\.pog_retry_limit.*given "many"/);
  });

  it('runs as the public command `npm run --silent cli -- score`', () => {
    // Act
    const result = spawnSync(
      'npm',
      ['run', '--silent', 'cli', '--', 'score', '--snapshot', file('p.json', snapshot)],
      { encoding: 'utf8' },
    );
    // Assess
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).weights.uids).toEqual([0, 2]);
  });
});
