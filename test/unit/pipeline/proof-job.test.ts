import { describe, expect, it } from 'vitest';
import { ProofJobExit, runProofJob } from '../../../lib/pipeline/proof-job.js';
import type { PogChallenge, PogOutcome, PogResultSink, PogRunner } from '../../../lib/ports.js';

const challenge: PogChallenge = {
  netuid: 27,
  roundId: 'r',
  uid: 4,
  hotkey: '5H',
  axon: { ip: '1.1.1.1', port: 1, version: 1 },
};
const outcome = (gpu: string | null): PogOutcome => ({
  hotkey: '5H',
  uid: 4,
  roundId: 'r',
  gpuName: gpu,
  numGpus: gpu === null ? null : 1,
  attempts: 1,
  durationMs: 5,
});
const sinkInto = (rows: PogOutcome[]): PogResultSink => ({ record: async (o) => void rows.push(o) });

describe('Function: runProofJob()', () => {
  it('records a success and a miner fault alike, exiting 0', async () => {
    // Prepare
    const rows: PogOutcome[] = [];
    const runner = (gpu: string | null): PogRunner => ({ run: async () => outcome(gpu) });
    // Act
    const ok = await runProofJob(
      { runner: runner('NVIDIA L4'), sink: sinkInto(rows) },
      JSON.stringify(challenge),
    );
    const fault = await runProofJob(
      { runner: runner(null), sink: sinkInto(rows) },
      JSON.stringify(challenge),
    );
    // Assess
    expect([ok.exitCode, fault.exitCode]).toEqual([0, 0]);
    expect(rows.map((r) => r.gpuName)).toEqual(['NVIDIA L4', null]);
  });

  it('exits non-zero, recording nothing, when the runner rejects (infrastructure fault)', async () => {
    // Prepare
    const rows: PogOutcome[] = [];
    const runner: PogRunner = { run: async () => Promise.reject(new Error('GPU host lost')) };
    // Act
    const out = await runProofJob({ runner, sink: sinkInto(rows) }, JSON.stringify(challenge));
    // Assess
    expect(out).toEqual({ exitCode: ProofJobExit.InfrastructureFault, error: 'GPU host lost' });
    expect(rows).toEqual([]);
  });

  it('exits non-zero when the sink fails', async () => {
    // Prepare
    const sink: PogResultSink = { record: async () => Promise.reject(new Error('throttled')) };
    // Act
    const out = await runProofJob(
      { runner: { run: async () => outcome('x') }, sink },
      JSON.stringify(challenge),
    );
    // Assess
    expect(out.exitCode).toBe(ProofJobExit.InfrastructureFault);
  });

  it('never runs an invalid challenge and exits with the no-retry code', async () => {
    // Prepare
    let ran = false;
    const runner: PogRunner = {
      run: async () => {
        ran = true;
        return outcome(null);
      },
    };
    // Act
    const out = await runProofJob(
      { runner, sink: sinkInto([]) },
      JSON.stringify({ ...challenge, axon: null }),
    );
    // Assess
    expect(out.exitCode).toBe(ProofJobExit.InvalidChallenge);
    expect(ran).toBe(false);
  });
});
