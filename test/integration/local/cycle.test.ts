import { describe, expect, it } from 'vitest';
import { runLocalCommand } from '../../../harness/cli/local.js';
import type { LocalCycleReport } from '../../../harness/local/cycle.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';

const VALID = new Set(['honest', 'slow-but-valid', 'noisy-but-valid']);
const perGpu = (name: string): number =>
  (DEFAULT_PERFORMANCE_CONFIG.gpu_performance.gpu_scores[name] ?? 0) * 2.5;

describe('Local cycle: npm run local -- --json --chaos', () => {
  it('completes under injected faults: valid miners weighted on chain, cheats at 0, nothing lost, one submission', async () => {
    // Prepare
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
    const code = await runLocalCommand(['--miners', '12', '--json', '--chaos'], io);
    // Assess
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as Pick<
      LocalCycleReport,
      'miners' | 'chainWeights' | 'stages' | 'chaos'
    >;
    expect(Object.keys(report)).toEqual(['miners', 'chainWeights', 'stages', 'chaos']);
    expect(report.miners).toHaveLength(12);
    for (const miner of report.miners) {
      const weighted = report.chainWeights.uids.includes(miner.uid);
      if (VALID.has(miner.behaviour)) {
        expect(miner.score, `${miner.behaviour} uid ${miner.uid}`).toBeGreaterThan(0);
        expect(weighted, `${miner.behaviour} uid ${miner.uid} has a weight`).toBe(true);
        expect(miner.score).toBeCloseTo(perGpu(miner.gpu_name ?? '') * Math.min(miner.num_gpus ?? 0, 8), 9);
      } else if (miner.behaviour === 'spoofed-name') {
        // claims a B200; its figures are an RTX 4090's
        expect(miner.gpu_name).toBe('NVIDIA RTX 4090');
        expect(miner.score).toBeCloseTo(perGpu('NVIDIA RTX 4090') * 2, 9);
        expect(weighted).toBe(true);
      } else {
        expect(miner, miner.behaviour).toMatchObject({ gpu_name: null, num_gpus: null, score: 0 });
        expect(weighted, `${miner.behaviour} has no weight`).toBe(false);
      }
    }
    expect(Math.max(...report.chainWeights.weights)).toBe(65535);
    expect(report.chaos).toMatchObject({
      workerKills: 1,
      duplicateDeliveries: 1,
      dynamoThrottles: 1,
      jobCrashes: 1,
      chainDrops: 1,
      weightSubmissions: 1,
      challenges: 12,
      resultsRecorded: 12,
    });
    expect(Object.keys(report.stages)).toEqual(
      expect.arrayContaining(['sync', 'worker', 'proof jobs', 'weights']),
    );
    expect(stderr).toContain('stopped moto_server');
    expect(stderr).toContain('stopped chopsticks');
  }, 420_000);
});
