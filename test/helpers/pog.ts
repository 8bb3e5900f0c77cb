import { rowBytes } from '../../lib/pog/known-honest.js';
import { merkleLevels, merkleProof, sha256 } from '../../lib/pog/math.js';
import type { GpuChallenge, ProofOutput } from '../../lib/pog/verify.js';

export { rowBytes };

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
