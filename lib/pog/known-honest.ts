import { BUNDLE_VERSION, type BundleHeader, bundleTolerance, encodeBundle } from './bundle.js';
import { challengeColumnOfB, challengeRowOfA, merkleLevels, merkleProof, sha256 } from './math.js';
import { PAYLOAD_PROTOCOL } from './verify.js';

/**
 * C = A·B of a challenge as an honest miner may sum it: float32 products added in float32 one after
 * another, a plain loop (its error is measured against the tolerance in lib/pog/math.ts
 * `entryTolerance`). O(n³): for small n only.
 */
export function honestProduct(n: number, seedA: bigint, seedB: bigint): Float32Array[] {
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

/** A row's bytes as the payload commits them: float32, little-endian. */
export function rowBytes(row: Float32Array): Buffer {
  const bytes = Buffer.alloc(row.length * 4);
  row.forEach((v, k) => {
    bytes.writeFloatLE(v, 4 * k);
  });
  return bytes;
}

/**
 * The row checker's self-test: an encoded bundle of one honest GPU at a small n, which a sound checker
 * passes in every value. The verifier runs it after the checker fails on a miner's bundle, to tell a
 * bundle that breaks the checker from a checker (or host) that is broken (lib/pipeline/verifier.ts).
 */
export const KNOWN_HONEST = { n: 64, rows: [0, 31, 63], seedA: 271_828n, seedB: 314_159n } as const;

export function knownHonestBundle(): Buffer {
  const { n, rows, seedA, seedB } = KNOWN_HONEST;
  const c = honestProduct(n, seedA, seedB);
  const levels = merkleLevels(c.map((row) => sha256(rowBytes(row))));
  const root = (levels[levels.length - 1] as Buffer[])[0]?.toString('hex') ?? '';
  const header: BundleHeader = {
    version: BUNDLE_VERSION,
    protocol: PAYLOAD_PROTOCOL,
    n,
    tolerance: bundleTolerance(),
    gpus: [
      {
        gpu: 0,
        seedA: seedA.toString(),
        seedB: seedB.toString(),
        rows: [...rows],
        root,
        paths: rows.map((i) => merkleProof(levels, i).map((h) => h.toString('hex'))),
      },
    ],
    netuid: 0,
    roundId: 'self-test',
    hotkey: 'self-test',
    uid: 0,
    attempt: 1,
    gpuName: 'self-test',
    numGpus: 1,
    sampled: { passed: true, gpusPassed: 1, reason: null },
    createdAt: new Date(0).toISOString(),
  };
  return encodeBundle({ header, rows: [rows.map((i) => rowBytes(c[i] as Float32Array))] });
}
