import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entryToleranceParams } from '../../lib/pog/math.js';

/**
 * Proof bundle files for tests and benches, written byte for byte from the contract (`POGB`, u32 LE header
 * length, UTF-8 JSON header, float32 LE rows per GPU in header order), independently of lib/pog/bundle.ts, and
 * rows of C computed with the real payload's generator (honest or cheating).
 */
export const PAYLOAD_DIR = fileURLToPath(new URL('../../lib/pog/payload/', import.meta.url));
export const ROW_CHECK_PATH = join(PAYLOAD_DIR, 'row_check.py');
const MINER_PAYLOAD_PATH = join(PAYLOAD_DIR, 'miner_payload.py');

export interface BundleGpu {
  gpu: number;
  seedA: bigint;
  seedB: bigint;
  rows: number[];
  /** The claimed rows of C, one per entry of `rows`, n values each. */
  values: Float32Array[];
}

/** The header JSON of the contract for `gpus` at size n (root/paths are placeholders: not read by the checker). */
export function bundleHeader(n: number, gpus: readonly BundleGpu[], tolerance = entryToleranceParams()) {
  return {
    version: 1,
    n,
    tolerance,
    gpus: gpus.map((g) => ({
      gpu: g.gpu,
      seedA: g.seedA.toString(),
      seedB: g.seedB.toString(),
      rows: g.rows,
      root: '00'.repeat(32),
      paths: g.rows.map(() => []),
    })),
    roundId: 'test',
  };
}

/** Frames header bytes and row data; `magic` and `declaredLength` let tests build malformed files. */
export function frameBundle(
  header: Buffer,
  data: Buffer,
  options: { magic?: string; declaredLength?: number } = {},
): Buffer {
  const head = Buffer.alloc(8);
  head.write(options.magic ?? 'POGB', 0, 'latin1');
  head.writeUInt32LE(options.declaredLength ?? header.length, 4);
  return Buffer.concat([head, header, data]);
}

/** The row data of `gpus`: each GPU's rows in listed order, n float32 LE values each. */
export function rowData(gpus: readonly BundleGpu[]): Buffer {
  const parts = gpus.flatMap((g) => g.values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)));
  return Buffer.concat(parts);
}

/** The whole bundle file for `gpus` at size n. */
export function bundleBytes(
  n: number,
  gpus: readonly BundleGpu[],
  header: object = bundleHeader(n, gpus),
): Buffer {
  return frameBundle(Buffer.from(JSON.stringify(header), 'utf8'), rowData(gpus));
}

/** A temporary directory for bundle files; `cleanup()` removes it. */
export function bundleDir(): {
  dir: string;
  write: (name: string, bytes: Buffer) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'pog-bundle-'));
  return {
    dir,
    write: (name, bytes) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * How a (simulated) GPU computes the rows of C = A·B from the payload's float32 A and B, column block by column
 * block so any n fits in memory:
 * - `float32`: numpy's float32 matmul (what the payload's CPU path does), honest;
 * - `float16`: inputs and result rounded to float16, float32 accumulation in between;
 * - `tf32`: inputs rounded to nearest with a 10-bit mantissa (TF32 tensor cores), float32 accumulation;
 * - `tf32-truncate`: the same with the low 13 mantissa bits cut off instead of rounded;
 * - `exact`: the float64 product rounded once to float32 (the best any GPU can claim).
 */
export type RowKind = 'float32' | 'float16' | 'tf32' | 'tf32-truncate' | 'exact';

const ROWS_SCRIPT = `
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import miner_payload as p
n, sa, sb, kind = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[6]
rows = np.array([int(r) for r in sys.argv[5].split(',')], dtype=np.int64)
def tf32(x, truncate):
    bits = x.view(np.uint32).astype(np.uint64)
    if not truncate:
        bits = bits + 0xFFF + ((bits >> 13) & 1)
    return (bits & 0xFFFFE000).astype(np.uint32).view(np.float32)
def prep(x):
    if kind == 'float16':
        return x.astype(np.float16).astype(np.float32)
    if kind.startswith('tf32'):
        return tf32(x, kind == 'tf32-truncate')
    return x
a = prep(p.challenge_block_np(sa, n, rows, 0, n))
a64 = a.astype(np.float64)
out = np.empty((rows.size, n), dtype=np.float32)
block = max(1, min(n, (1 << 24) // n))
for c0 in range(0, n, block):
    k = min(block, n - c0)
    b = prep(p.challenge_block_np(sb, n, np.arange(n), c0, k))
    if kind == 'exact':
        out[:, c0:c0 + k] = (a64 @ b.astype(np.float64)).astype(np.float32)
    else:
        out[:, c0:c0 + k] = a @ b
if kind == 'float16':
    out = out.astype(np.float16).astype(np.float32)
sys.stdout.buffer.write(out.astype('<f4').tobytes())
`;

function splitRows(bytes: Buffer, count: number, n: number): Float32Array[] {
  if (bytes.length !== count * n * 4) throw new Error(`expected ${count * n * 4} bytes, got ${bytes.length}`);
  const copy = new Uint8Array(bytes); // aligned, owned
  return Array.from({ length: count }, (_, r) => new Float32Array(copy.buffer, r * n * 4, n));
}

/** Rows `rows` of C for the D10 challenge (seedA, seedB) at size n, computed as `kind` says (python3 + numpy). */
export function payloadRows(
  n: number,
  seedA: bigint,
  seedB: bigint,
  rows: number[],
  kind: RowKind,
): Float32Array[] {
  const out = execFileSync(
    'python3',
    ['-c', ROWS_SCRIPT, PAYLOAD_DIR, String(n), String(seedA), String(seedB), rows.join(','), kind],
    { maxBuffer: rows.length * n * 4 + 1024 },
  );
  return splitRows(out, rows.length, n);
}

/** Rows `rows` of C as the real payload's `compute` and `proof` modes send them (numpy path). */
export function payloadProofRows(n: number, seedA: bigint, seedB: bigint, rows: number[]): Float32Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'pog-proof-'));
  try {
    execFileSync('python3', [
      MINER_PAYLOAD_PATH,
      '--mode',
      'compute',
      '--state-dir',
      dir,
      '--n',
      String(n),
      '--seeds',
      `0:${seedA}:${seedB}`,
    ]);
    const line = execFileSync(
      'python3',
      [MINER_PAYLOAD_PATH, '--mode', 'proof', '--state-dir', dir, '--challenge', `0:${rows.join(',')}`],
      { encoding: 'utf8', maxBuffer: rows.length * n * 8 + 1024 * 1024 },
    );
    const proof = JSON.parse(line) as { rows: { i: number; row: string }[] };
    return splitRows(Buffer.concat(proof.rows.map((r) => Buffer.from(r.row, 'base64'))), rows.length, n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The row checker's JSON line (contract: lib/pog/README.md, "Row checker"). */
export interface RowCheckGpu {
  gpu: number;
  rowsChecked: number;
  entriesChecked: number;
  wrongValues: number;
  wrongRows: number;
  firstWrong: null | { row: number; col: number; expected: number; got: number | null };
  maxRelError: number;
}
export interface RowCheckResult {
  device: 'cpu' | 'cuda';
  deviceName: string;
  seconds: number;
  entriesChecked: number;
  gpus: RowCheckGpu[];
}

// runs the checker as __main__ and reports the process's peak resident memory on stderr afterwards
const RSS_WRAPPER = `
import resource, runpy, sys
sys.argv = sys.argv[1:]
code = 0
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
except SystemExit as exc:
    code = exc.code
sys.stderr.write('maxrss_kib=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
`;

/** Runs `python3 row_check.py --bundle path ...args`; `result` is the parsed stdout line when it exited 0. */
export function runRowCheck(path: string, args: string[] = [], python = 'python3') {
  const run = spawnSync(python, ['-c', RSS_WRAPPER, ROW_CHECK_PATH, '--bundle', path, ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const rss = /maxrss_kib=(\d+)/.exec(run.stderr ?? '');
  return {
    status: run.status,
    stdout: run.stdout ?? '',
    stderr: (run.stderr ?? '').replace(/maxrss_kib=\d+\n?/, ''),
    maxRssMib: rss ? Number(rss[1]) / 1024 : Number.NaN,
    result: run.status === 0 ? (JSON.parse(run.stdout) as RowCheckResult) : undefined,
  };
}
