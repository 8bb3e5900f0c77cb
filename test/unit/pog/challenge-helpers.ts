import { challengeColumnOfB, challengeRowOfA } from '../../../lib/pog/math.js';

export { commit, proofResponse, rowBytes } from '../../helpers/pog.js';

/**
 * C = A·B for the D10 challenge generator, accumulated in float32 like a naive GPU kernel would
 * (tests only; the shared `honestC` in test/helpers builds the reference generator's C).
 */
export function honestC(n: number, seedA: bigint, seedB: bigint): Float32Array[] {
  const cols = Array.from({ length: n }, (_, j) => challengeColumnOfB(seedB, n, j));
  const a = new Float64Array(n);
  const rows: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    challengeRowOfA(seedA, n, i, a);
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
