import { DEFAULT_PERFORMANCE_CONFIG } from '../../lib/config/gpu-performance.js';

/** Behaviours of a simulated miner; the first three must pass, `spoofed-name` gets the GPU its figures identify. */
export const SIM_BEHAVIOURS = [
  'honest',
  'slow-but-valid',
  'noisy-but-valid',
  'spoofed-name',
  'wrong-root',
  'partial-compute',
  'garbage-output',
  'huge-output',
  'too-slow',
  'disconnect',
  'refuse-allocation',
  'one-wrong-entry-per-row',
  'low-precision',
  'one-gpu-serial',
  'inflated-benchmark',
  'stall-allocation',
] as const;
export type SimBehaviour = (typeof SIM_BEHAVIOURS)[number];

/** What the simulated GPUs look like: the name they report and the fingerprint their benchmark yields. */
export interface SimGpuProfile {
  readonly name: string;
  readonly count: number;
  readonly fp16: number;
  readonly fp32: number;
  readonly vram: number;
}

export interface SimMinerSpec {
  readonly hotkey?: string;
  readonly profile: SimGpuProfile;
  readonly behaviour: SimBehaviour;
  /** For `spoofed-name`: the name it claims (default: `NVIDIA B200`, or `NVIDIA H200` for a B200). */
  readonly claimedName?: string;
  /**
   * Builds C with the O(n²) Hankel recurrence instead of multiplying (the CPU-only cheat that the
   * D10 generator closes; see lib/pog/README.md), on top of `behaviour`. Tests only.
   */
  readonly hankelShortcut?: boolean;
}

/** The knobs of the behaviours, as `miner_shell.py` reads them from each miner's JSON file. */
export interface SimBehaviourTuning {
  readonly slowDelayS: number;
  readonly tooSlowExtraS: number;
  readonly partialFraction: number;
  /** `one-gpu-serial`: seconds one multiplication holds the single device. */
  readonly serialDeviceS: number;
  /** `inflated-benchmark`: how long its compute takes. */
  readonly inflatedComputeS: number;
}

/** A profile whose benchmark reproduces `gpuName`'s reference fingerprint exactly. */
export function simProfile(gpuName: string, count: number): SimGpuProfile {
  const perf = DEFAULT_PERFORMANCE_CONFIG.gpu_performance;
  const fp16 = perf.GPU_TFLOPS_FP16[gpuName];
  const fp32 = perf.GPU_TFLOPS_FP32[gpuName];
  const vram = perf.GPU_AVRAM[gpuName];
  if (fp16 === undefined || fp32 === undefined || vram === undefined)
    throw new Error(`no fingerprint for ${gpuName}`);
  return { name: gpuName, count, fp16, fp32, vram };
}

/** The content of one miner's JSON file, the first argument of `miner_shell.py`. */
export function minerShellConfig(spec: SimMinerSpec, tuning: SimBehaviourTuning): string {
  const claimedName =
    spec.claimedName ?? (spec.profile.name === 'NVIDIA B200' ? 'NVIDIA H200' : 'NVIDIA B200');
  return JSON.stringify({
    behaviour: spec.behaviour,
    profile: spec.profile,
    claimedName,
    slowDelayS: tuning.slowDelayS,
    tooSlowExtraS: tuning.tooSlowExtraS,
    partialFraction: tuning.partialFraction,
    serialDeviceS: tuning.serialDeviceS,
    inflatedComputeS: tuning.inflatedComputeS,
    hankelShortcut: spec.hankelShortcut ?? false,
  });
}
