import { SIM_BEHAVIOURS, type SimBehaviour } from '../sim/index.js';

/** Behaviours in the order a local cycle hands them out: the simulated miners' own list. */
export const CYCLE_BEHAVIOURS = SIM_BEHAVIOURS;
export type CycleBehaviour = SimBehaviour;
/** `npm run local`'s default miner count: every behaviour at least once. */
export const DEFAULT_LOCAL_MINERS = Math.max(16, CYCLE_BEHAVIOURS.length);

/** GPUs the simulated miners carry: each has a non-zero score in the default GPU table. */
export const CYCLE_GPUS = [
  'NVIDIA H200',
  'NVIDIA H100 80GB HBM3',
  'NVIDIA A100-SXM4-80GB',
  'NVIDIA L40s',
  'NVIDIA RTX 4090',
  'NVIDIA B200',
  'NVIDIA RTX A6000',
  'NVIDIA H100',
  'NVIDIA GeForce RTX 5090',
  'NVIDIA L40',
] as const;
const COUNTS = [1, 2, 4, 8, 3, 1, 2, 6];

export interface PlannedMiner {
  readonly behaviour: CycleBehaviour;
  readonly gpuName: string;
  readonly count: number;
  /** For `spoofed-name`: the better GPU it claims to have. */
  readonly claimedName?: string;
}

/**
 * The mix of a local cycle's miners: every behaviour once (as far as `n` allows, honest first), then
 * honest miners; GPUs and counts rotate so the weights differ. Deterministic, so runs compare.
 */
export function planMiners(n: number): PlannedMiner[] {
  return Array.from({ length: n }, (_, i) => {
    const behaviour = CYCLE_BEHAVIOURS[i] ?? 'honest';
    const gpuName = CYCLE_GPUS[i % CYCLE_GPUS.length] as string;
    const count = COUNTS[i % COUNTS.length] as number;
    if (behaviour === 'spoofed-name') {
      // claims a B200 while its figures are an RTX 4090's
      return { behaviour, gpuName: 'NVIDIA RTX 4090', count: 2, claimedName: 'NVIDIA B200' };
    }
    // one device serving several claimed GPUs shows only when it claims more than one
    if (behaviour === 'one-gpu-serial') return { behaviour, gpuName, count: Math.max(count, 4) };
    return { behaviour, gpuName, count };
  });
}
