import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PogMinerError } from '../../../lib/pog/errors.js';
import {
  BenchmarkSchema,
  ComputeSchema,
  type GpuChallenge,
  GpuInfoSchema,
  PAYLOAD_PROTOCOL,
  ProofSchema,
  parseMinerJson,
  pickRows,
  verifyGpuProof,
} from '../../../lib/pog/verify.js';
import { commit, honestC, proofResponse } from './challenge-helpers.js';

const n = 48;
const seedA = 0xdead_beef_0000_0001n;
const seedB = 0x0123_4567_89ab_cdefn;
const committed = commit(honestC(n, seedA, seedB));
const challenge: GpuChallenge = { gpu: 0, n, seedA, seedB, root: committed.root, rows: [3, 47, 0, 20] };

describe('verifyGpuProof', () => {
  it('passes an honest float32 answer', () => {
    // Prepare
    const response = proofResponse(committed, challenge);
    // Act
    const verdict = verifyGpuProof(challenge, response, 8);
    // Assess
    expect(verdict).toEqual({ gpu: 0, passed: true });
  });

  it('fails a replayed answer computed for other seeds', () => {
    // Prepare: the miner replays a matrix of an earlier session
    const old = commit(honestC(n, seedA + 1n, seedB));
    const replay = proofResponse(old, { ...challenge, root: old.root });
    // Act
    const verdict = verifyGpuProof(challenge, replay, 2);
    // Assess
    expect(verdict.passed).toBe(false);
  });

  it('fails a committed row with one wrong entry when that entry is checked', () => {
    // Prepare
    const rows = honestC(n, seedA, seedB);
    (rows[3] as Float32Array)[5] = ((rows[3] as Float32Array)[5] as number) + 1;
    const forged = commit(rows);
    const response = proofResponse(forged, { ...challenge, root: forged.root });
    // Act: the validator's draw lands on entry 5 of row 3
    const verdict = verifyGpuProof({ ...challenge, root: forged.root }, response, 1, () => 5);
    // Assess
    expect(verdict).toMatchObject({ passed: false, reason: 'wrong entry of C' });
  });

  it('fails truncated rows, short proofs, reordered rows and another GPU', () => {
    // Prepare
    const good = proofResponse(committed, challenge);
    const first = good.rows[0] as ProofRowLike;
    const cases = [
      { ...good, rows: good.rows.slice(1) },
      { ...good, rows: [{ ...first, row: first.row.slice(0, -8) }, ...good.rows.slice(1)] },
      { ...good, rows: [{ ...first, proof: first.proof.slice(1) }, ...good.rows.slice(1)] },
      { ...good, rows: [...good.rows].reverse() },
      { ...good, gpu: 1 },
      { ...good, n: n + 1 },
    ];
    // Act
    const verdicts = cases.map((c) => verifyGpuProof(challenge, c, 2));
    // Assess
    expect(verdicts.every((v) => !v.passed)).toBe(true);
  });
});

type ProofRowLike = { i: number; row: string; proof: string[] };

const hostileValue = fc.oneof(
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(1e308),
  fc.constant(-1),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.anything(), { maxKeys: 3 }),
);

/** Text a hostile miner could print: JSON of the right shape with hostile values, wrong shapes, raw junk. */
function hostileOutputs(good: unknown): fc.Arbitrary<string> {
  const goodText = JSON.stringify(good);
  return fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json(),
    fc.nat({ max: Math.max(0, goodText.length - 1) }).map((cut) => goodText.slice(0, cut)),
    fc
      .tuple(fc.nat({ max: goodText.length - 1 }), fc.string({ minLength: 1, maxLength: 5 }))
      .map(([at, junk]) => goodText.slice(0, at) + junk + goodText.slice(at + 1)),
    fc
      .tuple(fc.constantFrom(...Object.keys(good as object)), hostileValue)
      .map(([key, value]) =>
        JSON.stringify({ ...(good as object), [key]: value }, (_k, v) =>
          typeof v === 'number' && !Number.isFinite(v) ? `${v}` : v,
        ).replace(/"(NaN|Infinity|-Infinity)"/g, '$1'),
      ),
  );
}

describe('hostile miner output (fuzzed)', () => {
  const good = proofResponse(committed, challenge);
  const schemas = [
    ['gpu_info', GpuInfoSchema, { num_gpus: 1, gpu_names: ['NVIDIA H100'] }],
    ['benchmark', BenchmarkSchema, { num_gpus: 1, vram: 34.36, n16: 1024, t16: 0.1, n32: 1024, t32: 0.1 }],
    [
      'compute',
      ComputeSchema,
      {
        protocol: PAYLOAD_PROTOCOL,
        roots: [[0, committed.root]],
        timings: [
          [0, { n, generation_time: 0, multiplication_time: 0, transfer_back_time: 0, merkle_tree_time: 0 }],
        ],
      },
    ],
  ] as const;

  it('turns every hostile proof answer into a failed verdict or a miner error, never a crash or a pass', () => {
    // Prepare
    let cases = 0;
    fc.assert(
      fc.property(hostileOutputs(good), (text) => {
        cases++;
        // Act
        let passed = false;
        try {
          passed = verifyGpuProof(challenge, parseMinerJson(text, ProofSchema, 'proof'), 2).passed;
        } catch (error) {
          // Assess: only the typed miner fault may escape
          expect(error).toBeInstanceOf(PogMinerError);
          return;
        }
        // Assess: a pass is only possible for an answer equal to the honest one
        if (passed) expect(JSON.parse(text)).toEqual(good);
      }),
      { numRuns: 300 },
    );
    expect(cases).toBeGreaterThanOrEqual(300);
  });

  it.each(schemas)('rejects hostile %s output with a PogMinerError only', (mode, schema, sample) => {
    // Prepare / Act / Assess
    fc.assert(
      fc.property(hostileOutputs(sample), (text) => {
        try {
          parseMinerJson(text, schema, mode);
        } catch (error) {
          expect(error).toBeInstanceOf(PogMinerError);
          expect((error as Error).message.length).toBeLessThan(400);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('challenge selection', () => {
  it('draws distinct rows, capped at n', () => {
    // Prepare / Act
    const rows = pickRows(10, 17);
    // Assess
    expect(new Set(rows).size).toBe(10);
    expect(pickRows(29_280, 17)).toHaveLength(17);
  });
});
