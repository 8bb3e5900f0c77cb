import { describe, expect, it } from 'vitest';
import { bundleOf } from '../../../lib/pipeline/worker.js';
import { decodeBundle, encodeBundle } from '../../../lib/pog/bundle.js';
import { merkleLevels, merkleProof, sha256 } from '../../../lib/pog/math.js';
import { ProofTaker } from '../../../lib/pog/proof-output.js';
import type { GpuChallenge } from '../../../lib/pog/verify.js';
import { honestC, rowBytes } from '../pog/challenge-helpers.js';

const n = 32;
const ROWS = [1, 30, 7];

/** One GPU's honest proof line (the payload's `proof` mode) and its challenge. */
function honestGpu(gpu: number) {
  const seedA = 0x1234_0000n + BigInt(gpu);
  const seedB = 0x9876_5432_10n;
  const rows = honestC(n, seedA, seedB).map(rowBytes);
  const levels = merkleLevels(rows.map((r) => sha256(r)));
  const root = (levels.at(-1) as Buffer[])[0]?.toString('hex') ?? '';
  const challenge: GpuChallenge = { gpu, n, seedA, seedB, root, rows: ROWS };
  const line = JSON.stringify({
    gpu,
    n,
    rows: ROWS.map((i) => ({
      i,
      row: (rows[i] as Buffer).toString('base64'),
      proof: merkleProof(levels, i).map((h) => h.toString('hex')),
    })),
  });
  return { rows, challenge, line };
}

describe("the worker's bundle of a proof taken from the miner's output", () => {
  it('is a view around the rows the proof stage decoded, not a second copy, and decodes to them', () => {
    // Prepare: two GPUs' lines, cut into 100-byte chunks as the SSH layer might hand them over
    const gpus = [honestGpu(0), honestGpu(1)];
    const output = Buffer.from(gpus.map((g) => `${g.line}\n`).join(''));
    const taker = new ProofTaker(
      gpus.map((g) => g.challenge),
      2,
    );
    for (let at = 0; at < output.length; at += 100) taker.push(output.subarray(at, at + 100));
    const taken = taker.finish();
    const proof = {
      gpuName: 'NVIDIA H100 80GB HBM3',
      numGpus: 2,
      n,
      gpus: taken.gpus,
      timings: { benchmarkS: 1, computeS: 1, proofS: 1, t32: 1, n32: 1 },
      sampled: { passed: 2, total: 2, required: 2 },
    };
    const challenge = {
      netuid: 27,
      roundId: '27-7',
      uid: 3,
      hotkey: '5Worker',
      axon: { ip: '8.8.8.8', port: 8091, version: 1 },
    };
    // Act
    const bytes = encodeBundle(bundleOf(challenge, 1, proof, new Date('2026-12-07T00:00:00Z')));
    // Assess
    expect(taken.reasons).toEqual([]);
    expect(bytes.buffer).toBe(taken.gpus[0]?.values[0]?.buffer);
    expect(decodeBundle(bytes).rows).toEqual(gpus.map((g) => ROWS.map((i) => g.rows[i])));
  });
});
