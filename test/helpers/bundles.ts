import {
  BUNDLE_VERSION,
  type BundleHeader,
  bundleDigest,
  bundleKey,
  bundleTolerance,
  encodeBundle,
} from '../../lib/pog/bundle.js';
import { merkleProof } from '../../lib/pog/math.js';
import { PAYLOAD_PROTOCOL } from '../../lib/pog/verify.js';
import { honestC } from '../unit/pog/challenge-helpers.js';
import { commit, rowBytes } from './pog.js';

export interface TestBundleOptions {
  readonly n?: number;
  readonly gpus?: number;
  readonly rows?: readonly number[];
  readonly roundId?: string;
  readonly hotkey?: string;
  readonly uid?: number;
  readonly attempt?: number;
  /** Rewrites the miner's C before it commits (a cheat the Merkle root then covers). */
  readonly cheat?: (gpu: number, c: Float32Array[]) => void;
  readonly sampled?: BundleHeader['sampled'];
  /** The header's payload protocol; `null` leaves the field out (a bundle written before it existed). */
  readonly protocol?: number | null;
}

/** A bundle as the worker writes it, for an honest (or `cheat`-altered) miner; C built in float32. */
export function makeTestBundle(options: TestBundleOptions = {}) {
  const n = options.n ?? 32;
  const rows = options.rows ?? [0, 5, n - 1];
  const roundId = options.roundId ?? '27-1000';
  const hotkey = options.hotkey ?? '5TestMinerHotkey';
  const uid = options.uid ?? 3;
  const attempt = options.attempt ?? 1;
  const gpus = Array.from({ length: options.gpus ?? 1 }, (_, gpu) => {
    const seedA = BigInt(1000 + gpu);
    const seedB = BigInt(2_000_000 + 7 * gpu);
    const c = honestC(n, seedA, seedB);
    options.cheat?.(gpu, c);
    const committed = commit(c);
    return {
      header: {
        gpu,
        seedA: seedA.toString(),
        seedB: seedB.toString(),
        rows: [...rows],
        root: committed.root,
        paths: rows.map((i) => merkleProof(committed.levels, i).map((h) => h.toString('hex'))),
      },
      data: rows.map((i) => rowBytes(c[i] as Float32Array)),
    };
  });
  const protocol = options.protocol === undefined ? PAYLOAD_PROTOCOL : options.protocol;
  const header: BundleHeader = {
    version: BUNDLE_VERSION,
    ...(protocol !== null ? { protocol } : {}),
    n,
    tolerance: bundleTolerance(),
    gpus: gpus.map((g) => g.header),
    netuid: 27,
    roundId,
    hotkey,
    uid,
    attempt,
    gpuName: 'NVIDIA H100 80GB HBM3',
    numGpus: gpus.length,
    sampled: options.sampled ?? { passed: true, gpusPassed: gpus.length, reason: null },
    createdAt: new Date(0).toISOString(),
  };
  const bytes = encodeBundle({ header, rows: gpus.map((g) => g.data) });
  const key = bundleKey(roundId, hotkey, attempt);
  const message = {
    version: 1 as const,
    netuid: 27,
    roundId,
    hotkey,
    uid,
    attempt,
    bundleKey: key,
    bundleBytes: bytes.length,
    bundleSha256: bundleDigest(bytes),
  };
  return { header, bytes, key, message };
}

/** One wrong value in every row of C, all else honest (the `one-wrong-entry-per-row` cheat). */
export function oneWrongEntryPerRow(_gpu: number, c: Float32Array[]): void {
  c.forEach((row, i) => {
    const j = (i * 7) % row.length;
    row[j] = (row[j] as number) + 1;
  });
}

/** C from float16-rounded products (the `low-precision` cheat, coarser than TF32). */
export function lowPrecision(_gpu: number, c: Float32Array[]): void {
  const half = (x: number) => {
    const e = Math.floor(Math.log2(Math.abs(x)));
    const q = 2 ** (e - 10);
    return Math.round(x / q) * q;
  };
  for (const row of c) for (let j = 0; j < row.length; j++) row[j] = half(row[j] as number);
}
