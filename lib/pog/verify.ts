import { randomBytes, randomInt } from 'node:crypto';
import * as z from 'zod';
import { formatIssues } from '../validation.js';
import { PogMinerError } from './errors.js';
import {
  challengeExpectedEntry,
  challengeRowOfA,
  entryMatches,
  proofLength,
  verifyMerkleProof,
} from './math.js';

const finite = z.number().finite();
const gpuIndex = z.number().int().min(0).max(1023);
const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

export const GpuInfoSchema = z.object({
  num_gpus: z.number().int().min(0).max(1024),
  gpu_names: z.array(z.string().max(256)).max(1024),
});
export const BenchmarkSchema = z.object({
  num_gpus: z.number().int().min(0).max(1024),
  vram: finite.min(0).max(100_000),
  n16: z.number().int().min(1).max(1_000_000),
  t16: finite.positive(),
  n32: z.number().int().min(1).max(1_000_000),
  t32: finite.positive(),
});
const TimingSchema = z.object({
  n: z.number().int().positive(),
  generation_time: finite.min(0),
  multiplication_time: finite.min(0),
  transfer_back_time: finite.min(0),
  merkle_tree_time: finite.min(0),
  /** Offsets of the multiplication from the compute command's start (payload ≥ issue 12); lib/pog/timing.ts requires them. */
  multiplication_start: finite.optional(),
  multiplication_end: finite.optional(),
});
/**
 * Version of the payload's compute protocol: 2 = the D10 challenge generator (row-major counter),
 * 3 = D10 with signed entries (D11), 4 = D11 with the fmix32 finaliser after the mix (D12).
 * The payload reports it, so a verifier and a payload of different generators fail loudly instead
 * of failing every entry check.
 */
export const PAYLOAD_PROTOCOL = 4;

export const ComputeSchema = z.object({
  protocol: z.literal(PAYLOAD_PROTOCOL),
  roots: z.array(z.tuple([gpuIndex, hex32])).max(1024),
  timings: z.array(z.tuple([gpuIndex, TimingSchema])).max(1024),
});
export const ProofSchema = z.object({
  gpu: gpuIndex,
  n: z.number().int().positive(),
  rows: z
    .array(
      z.object({
        i: z.number().int().min(0),
        // base64 of 4n bytes; not regex-checked (140 ms per 8-GPU round): the exact length and the
        // decoded length are checked in verifyGpuProof, and the decoded bytes must hash to the root
        row: z.string().max(4 * 1024 * 1024),
        proof: z.array(hex32).max(64),
      }),
    )
    .max(1024),
});
export type Benchmark = z.infer<typeof BenchmarkSchema>;
export type ComputeOutput = z.infer<typeof ComputeSchema>;
export type ProofOutput = z.infer<typeof ProofSchema>;

/**
 * Parses one command's stdout as a single JSON object with `schema`. Any failure is a miner fault;
 * the message names the mode and the bad fields, never echoes the output.
 */
export function parseMinerJson<S extends z.ZodType>(stdout: string, schema: S, mode: string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout.trim());
  } catch {
    throw new PogMinerError(`${mode}: output is not JSON`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new PogMinerError(`${mode}: invalid output (${formatIssues(result.error).slice(0, 3).join('; ')})`);
  }
  return result.data;
}

/** A fresh 64-bit seed from the CSPRNG (D4). */
export function randomSeed(): bigint {
  return randomBytes(8).readBigUInt64LE();
}

/** `count` distinct row indices in [0, n) from the CSPRNG (D4). */
export function pickRows(n: number, count: number, draw: (max: number) => number = randomInt): number[] {
  const picked = new Set<number>();
  const target = Math.min(count, n);
  while (picked.size < target) picked.add(draw(n));
  return [...picked];
}

export interface GpuChallenge {
  readonly gpu: number;
  readonly n: number;
  readonly seedA: bigint;
  readonly seedB: bigint;
  /** Root hash the miner committed to in `compute`. */
  readonly root: string;
  readonly rows: readonly number[];
}

export interface GpuVerdict {
  readonly gpu: number;
  readonly passed: boolean;
  /** Why it failed (short, for the failure reason); absent when passed. */
  readonly reason?: string;
}

/**
 * Verifies one GPU's proof response: exactly the challenged rows, each of exactly n float32 values,
 * a Merkle proof of exactly the tree depth leading to the committed root, and `entriesPerRow`
 * entries per row (picked here, after the row arrived, so the miner cannot know them) equal to
 * A[i,:]·B[:,j] of the challenge matrices (D10, D11) within {@link entryMatches}.
 */
export function verifyGpuProof(
  challenge: GpuChallenge,
  response: ProofOutput,
  entriesPerRow: number,
  draw: (max: number) => number = randomInt,
): GpuVerdict {
  return verifyGpuProofRows(challenge, response, entriesPerRow, draw).verdict;
}

/** A {@link GpuVerdict} with the rows it decoded. */
export interface GpuRowsVerdict {
  readonly verdict: GpuVerdict;
  /** Each challenged row's decoded bytes (4n, float32-LE), in challenge order; empty unless passed. */
  readonly rows: readonly Buffer[];
}

/**
 * {@link verifyGpuProof} that also hands back the rows it decoded and checked, so that a caller
 * keeping the values does not decode the base64 a second time.
 *
 * @param alloc where each row's 4n bytes are decoded (the worker's bundle arena); a row's own buffer by default
 */
export function verifyGpuProofRows(
  challenge: GpuChallenge,
  response: ProofOutput,
  entriesPerRow: number,
  draw: (max: number) => number = randomInt,
  alloc: (size: number) => Buffer = Buffer.allocUnsafeSlow,
): GpuRowsVerdict {
  const { gpu, n } = challenge;
  const fail = (reason: string): GpuRowsVerdict => ({ verdict: { gpu, passed: false, reason }, rows: [] });
  const rows: Buffer[] = [];
  if (response.gpu !== gpu || response.n !== n) return fail('proof for another GPU or size');
  if (response.rows.length !== challenge.rows.length) return fail('wrong number of rows');
  const root = Buffer.from(challenge.root, 'hex');
  const depth = proofLength(n);
  let aRow: Float64Array | undefined;
  for (let r = 0; r < challenge.rows.length; r++) {
    const item = response.rows[r];
    const i = challenge.rows[r] as number;
    if (item === undefined || item.i !== i) return fail('rows out of order');
    if (item.proof.length !== depth) return fail('proof of wrong depth');
    // base64 of exactly 4n bytes has a fixed length; checking it first avoids decoding junk
    if (item.row.length !== 4 * Math.ceil((4 * n) / 3)) {
      return fail('row of wrong length');
    }
    // the decoded length from the padding, as Buffer.from would give it; then decoded straight into place
    if (Buffer.byteLength(item.row, 'base64') !== 4 * n) return fail('row of wrong length');
    const bytes = alloc(4 * n);
    if (bytes.write(item.row, 'base64') !== 4 * n) return fail('row of wrong length');
    const proof = item.proof.map((h) => Buffer.from(h, 'hex'));
    if (!verifyMerkleProof(bytes, proof, root, i)) return fail('Merkle proof does not match the root');
    // D10 generator: one row of A per challenged row, one column of B per checked entry (2n PRNG
    // evaluations per entry at most; the reference's Hankel runs no longer exist)
    aRow = challengeRowOfA(challenge.seedA, n, i, aRow);
    for (let e = 0; e < entriesPerRow; e++) {
      const j = draw(n);
      const claimed = bytes.readFloatLE(4 * j);
      if (!entryMatches(claimed, challengeExpectedEntry(aRow, challenge.seedB, j))) {
        return fail('wrong entry of C');
      }
    }
    rows.push(bytes);
  }
  return { verdict: { gpu, passed: true }, rows };
}
