import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SimBehaviour,
  type SimulatedMiners,
  simProfile,
  startSimulatedMiners,
} from '../../../harness/sim/index.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { createPogRunner } from '../../../lib/pog/index.js';
import type { PogOutcome } from '../../../lib/ports.js';
import { logTo } from '../../helpers/log.js';

// The compute deadline is the tolerance plus one multiplication budget at the reference rate, whatever
// the miner reports; 8 s leaves a loaded 2-core machine (python start-up alone takes seconds) room.
const TOLERANCE_S = 8;
const STALL_ATTEMPT_S = 4;
/** The stalling miner's deallocation calls time out after 1 s each: its clean-up after the deadline, bounded. */
const STALL_DEALLOCATE_S = 1;

interface Observed extends PogOutcome {
  readonly wallMs: number;
  /** The payload modes the session ran, in order. */
  readonly modes: readonly string[];
}

describe('timing the miner cannot stretch (issue 12, real sshd and payload)', () => {
  let sim: SimulatedMiners;
  const outcomes = new Map<string, Observed>();
  const specs: { label: string; behaviour: SimBehaviour; gpu: string; count: number }[] = [
    { label: 'honest', behaviour: 'honest', gpu: 'NVIDIA H100 80GB HBM3', count: 1 },
    { label: 'honest-4', behaviour: 'honest', gpu: 'NVIDIA L4', count: 4 },
    { label: 'slow-but-valid', behaviour: 'slow-but-valid', gpu: 'NVIDIA A100-SXM4-80GB', count: 1 },
    { label: 'one-gpu-serial', behaviour: 'one-gpu-serial', gpu: 'NVIDIA H100 80GB HBM3', count: 4 },
    { label: 'inflated-benchmark', behaviour: 'inflated-benchmark', gpu: 'NVIDIA H100 80GB HBM3', count: 1 },
    { label: 'stall-allocation', behaviour: 'stall-allocation', gpu: 'NVIDIA H100 80GB HBM3', count: 1 },
  ];

  beforeAll(async () => {
    sim = await startSimulatedMiners(
      specs.map((s) => ({ behaviour: s.behaviour, profile: simProfile(s.gpu, s.count) })),
      { matrixSize: 64, timeToleranceS: TOLERANCE_S, slowDelayS: 0.2, serialDeviceS: 0.3 },
    );
    const runOne = async (uid: number) => {
      const m = sim.miners[uid];
      if (m === undefined) return;
      const modes: string[] = [];
      // the stalling miner gets a short attempt deadline: it must end there, not at the allocate timeouts
      const stalls = m.behaviour === 'stall-allocation';
      const attemptTimeoutS = stalls ? STALL_ATTEMPT_S : 90;
      const runner = createPogRunner({
        performance: DEFAULT_PERFORMANCE_CONFIG,
        hotkeySecret: '//Alice',
        allowPrivateAddresses: true,
        matrixSize: sim.matrixSize,
        engine: {
          ...sim.engine,
          attemptTimeoutS,
          ...(stalls ? { deallocateTimeoutS: STALL_DEALLOCATE_S } : {}),
          deallocateRetryDelayS: 0.05,
          commandTimeoutS: 30,
        },
        log: logTo((_, event, fields) => {
          if (event === 'pog.command') modes.push(String(fields.mode));
        }),
      });
      const started = Date.now();
      const outcome = await runner.run({
        netuid: 27,
        roundId: 'r-timing',
        uid,
        hotkey: m.hotkey,
        axon: m.axon,
      });
      outcomes.set(specs[uid]?.label ?? '', { ...outcome, wallMs: Date.now() - started, modes });
    };
    // the stalling miner runs alone afterwards: its deadline is measured without other sessions' load
    const stall = specs.findIndex((s) => s.behaviour === 'stall-allocation');
    await Promise.all(specs.map((_, uid) => (uid === stall ? undefined : runOne(uid))));
    await runOne(stall);
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
  });

  it.each([
    ['honest', 'NVIDIA H100 80GB HBM3', 1],
    ['honest-4', 'NVIDIA L4', 4],
    ['slow-but-valid', 'NVIDIA A100-SXM4-80GB', 1],
  ])('%s still passes with its GPU and count', (label, gpuName, numGpus) => {
    // Prepare / Act (the round ran in beforeAll)
    const outcome = outcomes.get(label);
    // Assess
    expect(outcome?.error).toBeUndefined();
    expect(outcome).toMatchObject({ gpuName, numGpus });
  });

  it('one device claimed as 4 GPUs, computing them one after another, fails the timing check', () => {
    // Prepare / Act
    const outcome = outcomes.get('one-gpu-serial');
    // Assess
    expect(outcome).toMatchObject({ gpuName: null, numGpus: null });
    expect(outcome?.error).toMatch(/^timing check failed: the 4 GPUs multiplied one after another/);
  });

  it('a scaled n32/t32 at the same TFLOPS fails the timing check before any compute', () => {
    // Prepare / Act
    const outcome = outcomes.get('inflated-benchmark');
    // Assess
    expect(outcome).toMatchObject({ gpuName: null, numGpus: null });
    expect(outcome?.error).toMatch(/^timing check failed: benchmark reports \d+(\.\d+)? s of matmuls/);
    expect(outcome?.modes).toEqual(['gpu_info', 'benchmark']);
  });

  it('a miner that hangs allocation and deallocation ends at its deadline plus the bounded deallocation', () => {
    // Prepare / Act
    const outcome = outcomes.get('stall-allocation');
    // Assess
    expect(outcome).toMatchObject({ gpuName: null, numGpus: null, error: 'attempt timed out' });
    // the allocation request is given up at the deadline (not at its 60 s timeout), then the deallocation's
    // 3 tries of 1 s run before the attempt returns; slack for a loaded machine
    const cleanupS = 3 * STALL_DEALLOCATE_S + 2 * 0.05;
    expect(outcome?.wallMs).toBeGreaterThanOrEqual((STALL_ATTEMPT_S + cleanupS) * 1000 - 100);
    expect(outcome?.wallMs).toBeLessThan((STALL_ATTEMPT_S + cleanupS + 3) * 1000);
    expect(outcome?.modes).toEqual([]);
  });
});
