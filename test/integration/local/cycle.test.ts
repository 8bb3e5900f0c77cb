import { describe, expect, it } from 'vitest';
import { runLocalCommand } from '../../../harness/cli/local.js';
import type { LocalCycleReport } from '../../../harness/local/cycle.js';
import { CYCLE_BEHAVIOURS } from '../../../harness/local/miner-plan.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';

const VALID = new Set(['honest', 'slow-but-valid', 'noisy-but-valid', 'spoofed-name']);
/** Why each cheat fails, as its final row's reason says it (lib/pog's and the verifier's wording). */
const CHEAT_REASON: Record<string, RegExp> = {
  'wrong-root': /merkle|root/i,
  'partial-compute': /entry|row|verif/i,
  'garbage-output': /json|output|parse/i,
  'huge-output': /size limit|too large/i,
  'too-slow': /timing|deadline|too slow|time/i,
  disconnect: /ssh|connection|closed|disconnect|exit/i,
  'refuse-allocation': /allocat|busy/i,
  'one-wrong-entry-per-row': /entry|row|verif/i,
  'low-precision': /entry|row|verif|precision/i,
  'one-gpu-serial': /parallel|serial|timing/i,
  'inflated-benchmark': /timing|benchmark|deadline|time/i,
  'stall-allocation': /allocat|answer|time/i,
};
const perGpu = (name: string): number =>
  (DEFAULT_PERFORMANCE_CONFIG.gpu_performance.gpu_scores[name] ?? 0) * 2.5;

describe('Local cycle: npm run local -- --json --chaos', () => {
  it('every behaviour meets its outcome under injected faults, nothing lost, one weight submission', async () => {
    // Prepare
    const miners = CYCLE_BEHAVIOURS.length;
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: (t: string) => {
        stdout += t;
      },
      stderr: (t: string) => {
        stderr += t;
      },
      env: { ...process.env, AWS_ENDPOINT_URL: undefined },
    };
    // Act: the public command, in-process, with its own moto, chopsticks and simulated miners
    const code = await runLocalCommand(['--miners', String(miners), '--json', '--chaos'], io);
    // Assess
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as Pick<
      LocalCycleReport,
      'miners' | 'chainWeights' | 'stages' | 'chaos'
    >;
    expect(Object.keys(report)).toEqual(['miners', 'chainWeights', 'stages', 'chaos']);
    expect(report.miners.map((m) => m.behaviour)).toEqual([...CYCLE_BEHAVIOURS]);
    for (const miner of report.miners) {
      const label = `${miner.behaviour} uid ${miner.uid}: ${JSON.stringify(miner)}`;
      const weighted = report.chainWeights.uids.includes(miner.uid);
      expect(Object.keys(miner), label).toEqual([
        'uid',
        'hotkey',
        'behaviour',
        'gpu_name',
        'num_gpus',
        'score',
        'attempts',
        'rowsChecked',
        'entriesChecked',
        'verifier',
        'reason',
      ]);
      expect(miner.attempts, label).toBeGreaterThanOrEqual(1);
      if (VALID.has(miner.behaviour)) {
        expect(miner.reason, label).toBeNull();
        expect(miner.verifier, label).toBe('cpu');
        expect(miner.rowsChecked, label).toBeGreaterThan(0);
        // every value of every challenged row: n values per row, n = 64 in the simulation
        expect(miner.entriesChecked, label).toBe(miner.rowsChecked * 64);
        expect(weighted, label).toBe(true);
        if (miner.behaviour === 'spoofed-name') {
          // claims a B200; its figures are an RTX 4090's
          expect(miner.gpu_name, label).toBe('NVIDIA RTX 4090');
          expect(miner.score, label).toBeCloseTo(perGpu('NVIDIA RTX 4090') * 2, 9);
        } else {
          expect(miner.score, label).toBeCloseTo(
            perGpu(miner.gpu_name ?? '') * Math.min(miner.num_gpus ?? 0, 8),
            9,
          );
        }
      } else {
        expect(miner, label).toMatchObject({ gpu_name: null, num_gpus: null, score: 0 });
        expect(miner.reason, label).toEqual(expect.stringMatching(CHEAT_REASON[miner.behaviour] ?? /^$/));
        expect(weighted, label).toBe(false);
      }
    }
    expect(Math.max(...report.chainWeights.weights)).toBe(65535);
    expect(report.chaos).toMatchObject({
      workerKills: 1,
      workerTimeouts: 1,
      duplicateDeliveries: 1,
      dynamoThrottles: 1,
      jobCrashes: 1,
      chainDrops: 1,
      weightSubmissions: 1,
      challenges: miners,
      resultsRecorded: miners,
    });
    expect(Object.keys(report.stages)).toEqual(
      expect.arrayContaining(['sync', 'worker', 'verifier', 'weights', 'read back']),
    );
    expect(stderr).toContain('stopped moto_server');
    expect(stderr).toContain('stopped chopsticks');
  }, 600_000);
});
