import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openSshUnavailable,
  SIM_BEHAVIOURS,
  type SimBehaviour,
  type SimSshKind,
  type SimulatedMiners,
  simProfile,
  startSimulatedMiners,
} from '../../../harness/sim/index.js';
import { mapLimit } from '../../../lib/concurrency.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { createPogRunner } from '../../../lib/pog/index.js';
import type { PogOutcome } from '../../../lib/ports.js';

// Small matrices: the compute deadline is this tolerance plus one multiplication budget (timing.ts),
// whatever the fingerprint; python start-up alone takes seconds on a loaded 2-core machine.
const TOLERANCE_S = 8;

// The behaviour table runs on both SSH sides: the embedded ssh2 server (`npm run local`'s default) and a
// private OpenSSH sshd with password login, as production meets a miner (root only: it creates users).
const opensshSkip = openSshUnavailable();
describe.each<{ kind: SimSshKind; title: string; skip: boolean }>([
  { kind: 'embedded', title: 'embedded ssh2 server, password login', skip: false },
  {
    kind: 'openssh',
    title: `OpenSSH sshd, password login${opensshSkip ? ` (skipped: ${opensshSkip})` : ''}`,
    skip: opensshSkip !== null,
  },
])('PoG engine against simulated miners ($title, real payload CPU path)', ({ kind, skip }) => {
  if (skip) {
    it.skip('needs root and sshd', () => {});
    return;
  }
  let sim: SimulatedMiners;
  const outcomes = new Map<string, PogOutcome>();
  const specs: { behaviour: SimBehaviour; gpu: string; count: number; label: string }[] = [
    // too-slow sleeps past the deadline (num_gpus·t32 + tolerance + 1.5 s)
    // stall-allocation hangs for the allocate timeouts: covered in timing-behaviours.test.ts
    ...SIM_BEHAVIOURS.filter((b) => b !== 'stall-allocation').map((behaviour) => ({
      behaviour,
      gpu: behaviour === 'too-slow' ? 'NVIDIA RTX 4090' : 'NVIDIA A100-SXM4-80GB',
      count: 1,
      label: behaviour,
    })),
    { behaviour: 'honest', gpu: 'NVIDIA L4', count: 8, label: 'honest-8' },
    // a tolerance pair with a slow fingerprint too (an H100 pair's t32 ≈ 5 s misses the deadline under load)
    { behaviour: 'spoofed-name', gpu: 'NVIDIA A100-SXM4-80GB', count: 1, label: 'spoofed-pair' },
    // a CPU-only miner building C by the Hankel recurrence (closed by the D10 generator)
    { behaviour: 'honest', gpu: 'NVIDIA A100-SXM4-80GB', count: 1, label: 'hankel-shortcut' },
  ];

  beforeAll(async () => {
    sim = await startSimulatedMiners(
      specs.map((s) => ({
        behaviour: s.behaviour,
        profile: simProfile(s.gpu, s.count),
        ...(s.label === 'spoofed-pair' ? { claimedName: 'NVIDIA A100 80GB PCIe' } : {}),
        ...(s.label === 'hankel-shortcut' ? { hankelShortcut: true } : {}),
      })),
      { matrixSize: 64, tooSlowExtraS: TOLERANCE_S + 1.5, slowDelayS: 0.2, ssh: kind },
    );
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      allowPrivateAddresses: true,
      matrixSize: sim.matrixSize,
      engine: {
        ...sim.engine,
        timeToleranceS: TOLERANCE_S,
        deallocateRetryDelayS: 0.05,
        commandTimeoutS: 20,
        // at n = 64, 64 draws per row over 17 rows miss a one-value-per-row cheat with p ≈ 5e-8;
        // at production n the quick check cannot, which is why the verifier checks every value
        entriesPerRow: 64,
      },
    });
    // four sessions at a time, as the worker's bounded concurrency runs them: this proves one SSH server
    // serves several at once, while 14 at once on a loaded 2-core machine stall the axons in this same
    // process (each session's RSA key generation is synchronous) past their timeouts
    await mapLimit(sim.miners, 4, async (m, uid) => {
      const outcome = await runner.run({
        netuid: 27,
        roundId: 'round-1',
        uid,
        hotkey: m.hotkey,
        axon: m.axon,
      });
      outcomes.set(specs[uid]?.label ?? '', outcome);
    });
  });

  afterAll(async () => {
    await sim?.stop();
  });

  it.each(['honest', 'slow-but-valid', 'noisy-but-valid'])('%s passes with its GPU and count', (label) => {
    // Prepare / Act (the round ran in beforeAll)
    const outcome = outcomes.get(label);
    // Assess
    expect(outcome).toMatchObject({ gpuName: 'NVIDIA A100-SXM4-80GB', numGpus: 1, attempts: 1 });
    expect(outcome?.error).toBeUndefined();
  });

  it("returns the proof bundle's data: every challenged row as n float32 values with its Merkle path", async () => {
    // Prepare
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      allowPrivateAddresses: true,
      matrixSize: sim.matrixSize,
      engine: { ...sim.engine, timeToleranceS: TOLERANCE_S, deallocateRetryDelayS: 0.05 },
    });
    const k = specs.findIndex((s) => s.label === 'honest-8');
    const miner = sim.miners[k];
    // Act
    const result = await runner.attempt({
      netuid: 27,
      roundId: 'round-2',
      uid: k,
      hotkey: miner?.hotkey ?? '',
      axon: miner?.axon ?? { ip: '127.0.0.1', port: 1, version: 0 },
    });
    // Assess
    if (result.kind !== 'passed') throw new Error(`honest attempt failed: ${result.reason}`);
    const { proof } = result;
    expect(proof).toMatchObject({ gpuName: 'NVIDIA L4', numGpus: 8, n: 64 });
    expect(proof.sampled).toEqual({ passed: 8, total: 8, required: 6 });
    expect(proof.gpus.map((g) => g.gpu).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // D13: one B for the attempt, an A per GPU
    expect(new Set(proof.gpus.map((g) => g.seedB)).size).toBe(1);
    expect(new Set(proof.gpus.map((g) => g.seedA)).size).toBe(8);
    for (const g of proof.gpus) {
      expect(g.rows).toHaveLength(17);
      expect(new Set(g.rows).size).toBe(17);
      expect(g.values.every((v) => v.length === 64 && v.every(Number.isFinite))).toBe(true);
      expect(g.paths.every((p) => p.length === 6)).toBe(true);
      expect(g.root).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(proof.timings.computeS).toBeGreaterThan(0);
    // the miner's part of the attempt covers at least its payload commands, and no more than the attempt
    const { benchmarkS, computeS, proofS } = proof.timings;
    expect(result.minerMs).toBeGreaterThanOrEqual(Math.floor((benchmarkS + computeS + proofS) * 1000));
    expect(result.minerMs).toBeLessThanOrEqual(result.durationMs);
  });

  it('an honest 8-GPU miner passes with 8 GPUs', () => {
    // Prepare / Act / Assess
    expect(outcomes.get('honest-8')).toMatchObject({ gpuName: 'NVIDIA L4', numGpus: 8 });
  });

  it('spoofed-name gets the GPU its figures identify; a tolerance partner name is accepted', () => {
    // Prepare / Act / Assess
    expect(outcomes.get('spoofed-name')).toMatchObject({ gpuName: 'NVIDIA A100-SXM4-80GB', numGpus: 1 });
    expect(outcomes.get('spoofed-pair')?.error).toBeUndefined();
    expect(outcomes.get('spoofed-pair')).toMatchObject({ gpuName: 'NVIDIA A100 80GB PCIe', numGpus: 1 });
  });

  it.each([
    ['wrong-root', /Merkle/],
    ['partial-compute', /wrong entry/],
    ['hankel-shortcut', /wrong entry/],
    ['garbage-output', /not JSON/],
    ['huge-output', /size limit/],
    ['too-slow', /timing check/],
    ['disconnect', /SSH connection/],
    ['refuse-allocation', /busy or not allocatable/],
    ['one-wrong-entry-per-row', /wrong entry/],
    ['low-precision', /wrong entry/],
  ])('%s ends in a failure row with a short reason', (label, reason) => {
    // Prepare / Act
    const outcome = outcomes.get(label);
    // Assess
    expect(outcome).toMatchObject({ gpuName: null, numGpus: null, attempts: 1 });
    expect(outcome?.error).toMatch(reason);
    expect((outcome?.error ?? '').length).toBeLessThan(200);
  });

  it('deallocates every allocation and only signed requests reach the axons', () => {
    // Prepare / Act
    const stats = sim.miners.map((m) => m.stats);
    // Assess
    for (const s of stats) {
      expect(s.allocated).toBe(false);
      expect(s.deallocations).toBe(s.allocations);
      expect(s.rejectedSignatures).toBe(0);
    }
    expect(stats.filter((s) => s.allocations > 0)).toHaveLength(specs.length - 1);
  });
});

describe('one attempt per call (retries are SQS redeliveries by the worker)', () => {
  it('makes exactly one attempt against a refusing miner and never sleeps', async () => {
    // Prepare
    const sim = await startSimulatedMiners([
      { behaviour: 'refuse-allocation', profile: simProfile('NVIDIA L4', 1) },
    ]);
    const waits: number[] = [];
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      allowPrivateAddresses: true,
      matrixSize: sim.matrixSize,
      engine: sim.engine,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const miner = sim.miners[0];
    try {
      // Act
      const result = await runner.attempt({
        netuid: 27,
        roundId: 'r',
        uid: 3,
        hotkey: miner?.hotkey ?? '',
        axon: miner?.axon ?? { ip: '127.0.0.1', port: 1, version: 0 },
      });
      // Assess
      expect(result).toMatchObject({ kind: 'miner-fault', reason: 'miner is busy or not allocatable' });
      expect(waits).toEqual([]);
      expect(miner?.stats.allocations).toBe(0);
    } finally {
      await sim.stop();
    }
  });

  it('records an unreachable axon as a miner fault, not an infrastructure error', async () => {
    // Prepare
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      allowPrivateAddresses: true,
      engine: { allocateCheckTimeoutS: 1 },
    });
    // Act
    const outcome = await runner.run({
      netuid: 27,
      roundId: 'r',
      uid: 9,
      hotkey: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
      axon: { ip: '127.0.0.1', port: 9, version: 0 },
    });
    // Assess
    expect(outcome).toMatchObject({ gpuName: null, numGpus: null, error: 'axon unreachable' });
  });

  it('rejects with PogInfrastructureError when the validator hotkey is unusable', async () => {
    // Prepare
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '',
      engine: { allocateCheckTimeoutS: 1 },
    });
    // Act
    const run = runner.run({
      netuid: 27,
      roundId: 'r',
      uid: 1,
      hotkey: 'x',
      axon: { ip: '127.0.0.1', port: 9, version: 0 },
    });
    // Assess
    await expect(run).rejects.toMatchObject({ name: 'PogInfrastructureError' });
  });

  it('rejects with PogInfrastructureError when the payload is missing', async () => {
    // Prepare
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      allowPrivateAddresses: true,
      payloadPath: '/nonexistent/payload.py',
    });
    // Act
    const run = runner.run({
      netuid: 27,
      roundId: 'r',
      uid: 1,
      hotkey: 'x',
      axon: { ip: '127.0.0.1', port: 9, version: 0 },
    });
    // Assess
    await expect(run).rejects.toMatchObject({ name: 'PogInfrastructureError' });
  });
});

describe('abort', () => {
  it('rejects with PogInfrastructureError when the job is aborted before an attempt', async () => {
    // Prepare
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      allowPrivateAddresses: true,
    });
    const controller = new AbortController();
    controller.abort();
    // Act
    const run = runner.run(
      { netuid: 27, roundId: 'r', uid: 1, hotkey: 'x', axon: { ip: '127.0.0.1', port: 9, version: 0 } },
      controller.signal,
    );
    // Assess
    await expect(run).rejects.toMatchObject({ name: 'PogInfrastructureError' });
  });
});

describe('attempt deadline', () => {
  it('ends a stuck attempt at its deadline, closes the session and deallocates before it returns', async () => {
    // Prepare: a miner that sleeps through compute, with a compute tolerance far beyond the deadline
    const sim = await startSimulatedMiners(
      [{ behaviour: 'too-slow', profile: simProfile('NVIDIA RTX 4090', 1) }],
      {
        timeToleranceS: 60,
      },
    );
    const runner = createPogRunner({
      performance: DEFAULT_PERFORMANCE_CONFIG,
      hotkeySecret: '//Alice',
      allowPrivateAddresses: true,
      matrixSize: sim.matrixSize,
      engine: { ...sim.engine, attemptTimeoutS: 4, deallocateRetryDelayS: 0.05 },
    });
    const miner = sim.miners[0];
    try {
      // Act
      const started = Date.now();
      const outcome = await runner.run({
        netuid: 27,
        roundId: 'r',
        uid: 4,
        hotkey: miner?.hotkey ?? '',
        axon: miner?.axon ?? { ip: '127.0.0.1', port: 1, version: 0 },
      });
      // Assess
      expect(Date.now() - started).toBeLessThan(5_500);
      expect(outcome).toMatchObject({ gpuName: null, numGpus: null });
      expect(outcome.error).toMatch(/attempt timed out|timing check/);
      // before the attempt returned: a Lambda frozen after its invocation would never send it
      expect(miner?.stats.deallocations).toBe(1);
    } finally {
      await sim.stop();
    }
  });
});
