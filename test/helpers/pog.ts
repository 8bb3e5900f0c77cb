import { merkleLevels, merkleProof, rowOfA, sha256 } from '../../lib/pog/math.js';
import type { GpuChallenge, ProofOutput } from '../../lib/pog/verify.js';

/** C = A·B for the reference PRNG, accumulated in float32 like a naive GPU kernel would (tests only). */
export function honestC(n: number, seedA: bigint, seedB: bigint): Float32Array[] {
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) cols.push(rowOfA(seedB, j, n)); // column j of B is the run f(sB + j + k)
  const rows: Float32Array[] = [];
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    rowOfA(seedA, i, n, a);
    const row = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const b = cols[j] as Float64Array;
      let acc = 0;
      for (let k = 0; k < n; k++) acc = Math.fround(acc + Math.fround((a[k] as number) * (b[k] as number)));
      row[j] = acc;
    }
    rows.push(row);
  }
  return rows;
}

export function rowBytes(row: Float32Array): Buffer {
  const buf = Buffer.alloc(row.length * 4);
  row.forEach((v, k) => {
    buf.writeFloatLE(v, 4 * k);
  });
  return buf;
}

/** A committed matrix: its rows, tree levels and root (hex). */
export function commit(rows: Float32Array[]) {
  const levels = merkleLevels(rows.map((r) => sha256(rowBytes(r))));
  const root = (levels[levels.length - 1] as Buffer[])[0]?.toString('hex') ?? '';
  return { rows, levels, root };
}

/** The proof response an honest miner sends for `challenge` over `committed`. */
export function proofResponse(committed: ReturnType<typeof commit>, challenge: GpuChallenge): ProofOutput {
  return {
    gpu: challenge.gpu,
    n: challenge.n,
    rows: challenge.rows.map((i) => ({
      i,
      row: rowBytes(committed.rows[i] as Float32Array).toString('base64'),
      proof: merkleProof(committed.levels, i).map((h) => h.toString('hex')),
    })),
  };
}
