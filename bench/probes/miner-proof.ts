/**
 * The worker probes' synthetic proof stage: what an honest miner prints for `rowsPerGpu` challenged
 * rows per GPU at size n, as the SSH layer hands it over (stdout chunks of {@link CHUNK_BYTES}, each
 * its own allocation, lines crossing chunk boundaries). Rows are random bytes with a Merkle tree
 * that leads to the committed root and correct values at the sampled columns (the draw is fixed),
 * so the quick check runs to the end as it does for an honest miner.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import {
  challengeExpectedEntry,
  challengeRowOfA,
  merkleLevels,
  merkleProof,
  sha256,
} from '../../lib/pog/math.js';
import type { GpuChallenge } from '../../lib/pog/verify.js';

/** ssh2's channel packet size: the size of the data chunks a long output arrives in. */
export const CHUNK_BYTES = 32 * 1024;

export interface MinerProof {
  readonly challenges: readonly GpuChallenge[];
  /** The proof command's stdout as received. */
  readonly stdout: Buffer[];
  /** The columns each row is correct at: the check's draw must pick exactly these ({@link sampledDraw}). */
  readonly sampled: readonly number[];
}

/** The check's column draw for a {@link MinerProof}: its sampled columns, in turn (one row takes them all). */
export function sampledDraw(sampled: readonly number[]): (max: number) => number {
  let draws = 0;
  return () => sampled[draws++ % sampled.length] as number;
}

/** Builds one proof stage's challenges and output (the sha256 work leaves much garbage: see {@link streamMinerProof}). */
export function minerProof(n: number, gpus: number, rowsPerGpu: number): MinerProof {
  const sampled = [7 % n, Math.max(0, n - 3)];
  const rows = Array.from({ length: Math.min(rowsPerGpu, n) }, (_, r) => (r * 7919 + 13) % n);
  if (new Set(rows).size !== rows.length) throw new Error(`n = ${n} is too small for the probe's rows`);
  const filler = sha256(Buffer.alloc(4 * n));
  const challenges: GpuChallenge[] = [];
  const stdout: Buffer[] = [];
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let filled = 0;
  const write = (bytes: Buffer) => {
    for (let at = 0; at < bytes.length; ) {
      const copied = bytes.copy(chunk, filled, at);
      at += copied;
      filled += copied;
      if (filled === CHUNK_BYTES) {
        stdout.push(chunk);
        chunk = Buffer.allocUnsafe(CHUNK_BYTES);
        filled = 0;
      }
    }
  };
  for (let gpu = 0; gpu < gpus; gpu++) {
    const seedA = 0x1234_5678_9abc_def0n + BigInt(gpu);
    const seedB = 0x0fed_cba9_8765_4321n;
    const bytes = rows.map((i) => {
      const row = randomBytes(4 * n);
      const a = challengeRowOfA(seedA, n, i);
      for (const j of sampled) row.writeFloatLE(challengeExpectedEntry(a, seedB, j).value, 4 * j);
      return row;
    });
    const leaves = Array.from({ length: n }, () => filler);
    rows.forEach((i, r) => {
      leaves[i] = sha256(bytes[r] as Buffer);
    });
    const levels = merkleLevels(leaves);
    const top = levels.at(-1)?.[0];
    if (top === undefined) throw new Error('empty tree');
    const line = JSON.stringify({
      gpu,
      n,
      rows: rows.map((i, r) => ({
        i,
        row: (bytes[r] as Buffer).toString('base64'),
        proof: merkleProof(levels, i).map((h) => h.toString('hex')),
      })),
    });
    write(Buffer.from(`${line}\n`, 'utf8'));
    challenges.push({ gpu, n, seedA, seedB, root: top.toString('hex'), rows });
  }
  if (filled > 0) stdout.push(Buffer.from(chunk.subarray(0, filled)));
  return { challenges, stdout, sampled };
}

/** Writes a proof stage to `<file>` (the output) and `<file>.json` (challenges and sampled columns). */
export function writeMinerProof(file: string, proof: MinerProof): void {
  writeFileSync(file, Buffer.concat(proof.stdout));
  const challenges = proof.challenges.map((c) => ({ ...c, seedA: String(c.seedA), seedB: String(c.seedB) }));
  writeFileSync(`${file}.json`, JSON.stringify({ challenges, sampled: proof.sampled }));
}

/**
 * Reads what {@link writeMinerProof} wrote: the challenges and sampled columns, and the output handed
 * to `onChunk` in {@link CHUNK_BYTES} reads, each its own allocation and dropped once handed over, as
 * the SSH layer receives it and the session takes it. The memory probe builds its input this way:
 * building it in the probe (a Merkle tree of n leaves per GPU) would leave more garbage than the
 * worker's part and could set the process's peak itself.
 */
export function streamMinerProof(
  file: string,
): Omit<MinerProof, 'stdout'> & { readonly stream: (onChunk: (chunk: Buffer) => void) => number } {
  const side = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as {
    challenges: Array<Omit<GpuChallenge, 'seedA' | 'seedB'> & { seedA: string; seedB: string }>;
    sampled: number[];
  };
  const stream = (onChunk: (chunk: Buffer) => void): number => {
    let bytes = 0;
    const fd = openSync(file, 'r');
    try {
      for (;;) {
        const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
        const read = readSync(fd, chunk, 0, CHUNK_BYTES, null);
        if (read === 0) break;
        bytes += read;
        onChunk(read === CHUNK_BYTES ? chunk : Buffer.from(chunk.subarray(0, read)));
      }
    } finally {
      closeSync(fd);
    }
    return bytes;
  };
  const challenges = side.challenges.map((c) => ({ ...c, seedA: BigInt(c.seedA), seedB: BigInt(c.seedB) }));
  return { challenges, sampled: side.sampled, stream };
}
