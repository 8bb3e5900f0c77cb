import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PAYLOAD_PATH } from '../../../lib/pog/index.js';
import {
  ComputeSchema,
  type GpuChallenge,
  GpuInfoSchema,
  ProofSchema,
  parseMinerJson,
  pickRows,
  randomSeed,
  verifyGpuProof,
} from '../../../lib/pog/verify.js';
import { hasCudaTorch } from '../../helpers/python.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runPayload(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('python3', [DEFAULT_PAYLOAD_PATH, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

/** Runs compute + proof for `gpus` GPUs at size n and verifies every GPU with the TS verifier. */
function computeAndVerify(n: number, gpus: number, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'pog-payload-'));
  dirs.push(dir);
  const seeds = Array.from({ length: gpus }, (_, gpu) => ({ gpu, seedA: randomSeed(), seedB: randomSeed() }));
  const compute = parseMinerJson(
    runPayload(
      [
        '--mode',
        'compute',
        '--state-dir',
        dir,
        '--n',
        String(n),
        '--seeds',
        seeds.map((s) => `${s.gpu}:${s.seedA}:${s.seedB}`).join(','),
      ],
      env,
    ),
    ComputeSchema,
    'compute',
  );
  const challenges: GpuChallenge[] = seeds.map((s) => ({
    ...s,
    n,
    root: compute.roots.find(([g]) => g === s.gpu)?.[1] ?? '',
    rows: pickRows(n, 17),
  }));
  const out = runPayload(
    [
      '--mode',
      'proof',
      '--state-dir',
      dir,
      '--challenge',
      challenges.map((c) => `${c.gpu}:${c.rows.join(',')}`).join(';'),
    ],
    env,
  );
  const lines = out.trim().split('\n');
  return {
    compute,
    verdicts: challenges.map((c, k) =>
      verifyGpuProof(c, parseMinerJson(lines[k] ?? '', ProofSchema, 'proof'), 8),
    ),
  };
}

describe('miner payload, CPU path (numpy)', () => {
  it('produces roots, timings and proofs the TS verifier accepts, for odd and even sizes', () => {
    // Prepare / Act
    const results = [
      computeAndVerify(97, 2, { POG_BACKEND: 'numpy' }),
      computeAndVerify(256, 1, { POG_BACKEND: 'numpy' }),
    ];
    // Assess
    for (const { compute, verdicts } of results) {
      expect(compute.timings.length).toBe(verdicts.length);
      expect(verdicts.every((v) => v.passed)).toBe(true);
    }
  });

  it('reports no GPU on gpu_info without CUDA', () => {
    // Prepare / Act
    const info = parseMinerJson(
      runPayload(['--mode', 'gpu_info'], { POG_BACKEND: 'numpy' }),
      GpuInfoSchema,
      'gpu_info',
    );
    // Assess
    expect(info).toEqual({ num_gpus: 0, gpu_names: [] });
  });
});

const cuda = hasCudaTorch();
if (!cuda) console.info('[pog] GPU path of the payload skipped: no PyTorch with CUDA on this machine');

describe.skipIf(!cuda)('miner payload, GPU path (PyTorch + CUDA)', () => {
  it('reports the GPUs and produces proofs the TS verifier accepts', () => {
    // Prepare / Act
    const info = parseMinerJson(runPayload(['--mode', 'gpu_info']), GpuInfoSchema, 'gpu_info');
    const { verdicts } = computeAndVerify(1024, info.num_gpus, {});
    // Assess
    expect(info.num_gpus).toBeGreaterThan(0);
    expect(verdicts.every((v) => v.passed)).toBe(true);
  });
});
