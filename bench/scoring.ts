import { performance } from 'node:perf_hooks';
import { DEFAULT_PERFORMANCE_CONFIG } from '../lib/config/gpu-performance.js';
import { type ScoringSnapshotInput, ScoringSnapshotSchema, scoreSnapshot } from '../lib/scoring/index.js';

/** A 256-uid subnet: mixed GPUs, some non-queryable, some external, some penalized. */
function snapshot256(): ScoringSnapshotInput {
  const names = Object.keys(DEFAULT_PERFORMANCE_CONFIG.gpu_performance.gpu_scores);
  const uids = Array.from({ length: 256 }, (_, uid) => ({
    uid,
    hotkey: `5Hotkey${uid.toString().padStart(40, '0')}`,
    queryable: uid % 17 !== 0,
  }));
  return {
    netuid: 27,
    mode: 'scores',
    uids,
    pogSpecs: Object.fromEntries(
      uids
        .filter((u) => u.uid % 5 !== 0)
        .map((u) => [
          u.hotkey,
          { gpu_name: names[u.uid % names.length] as string, num_gpus: 1 + (u.uid % 8) },
        ]),
    ),
    allocatedHotkeys: uids.filter((u) => u.uid % 5 === 0).map((u) => u.hotkey),
    penalizedHotkeys: uids.filter((u) => u.uid % 31 === 0).map((u) => u.hotkey),
    statsAllocated: Object.fromEntries(
      uids
        .filter((u) => u.uid % 5 === 0)
        .map((u) => [
          String(u.uid),
          {
            hotkey: u.hotkey,
            gpu_specs: { gpu_name: 'NVIDIA H200', num_gpus: 8 },
            score: 80,
            allocated: true,
            own_score: true,
            reliability_score: 0,
          },
        ]),
    ),
  };
}

export async function run(): Promise<Record<string, string>> {
  const input = snapshot256();
  const iterations = 2_000;
  for (let i = 0; i < 200; i++) scoreSnapshot(ScoringSnapshotSchema.parse(input), DEFAULT_PERFORMANCE_CONFIG);
  const start = performance.now();
  for (let i = 0; i < iterations; i++)
    scoreSnapshot(ScoringSnapshotSchema.parse(input), DEFAULT_PERFORMANCE_CONFIG);
  const perCycle = (performance.now() - start) / iterations;
  const parsed = ScoringSnapshotSchema.parse(input);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) scoreSnapshot(parsed, DEFAULT_PERFORMANCE_CONFIG);
  const scoreOnly = (performance.now() - t0) / iterations;
  return {
    'score+weigh 256 uids incl. zod parse (ms)': perCycle.toFixed(3),
    'score+weigh 256 uids, parsed snapshot (ms)': scoreOnly.toFixed(3),
    'target (ms)': '< 5',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
