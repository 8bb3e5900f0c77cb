import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PAYLOAD_PATH } from '../../../lib/pog/index.js';
import { challengeEntry } from '../../../lib/pog/math.js';
import { torchPython } from '../../helpers/python.js';

// Loads the real payload as a module, shrinks its chunk size so that matrices span several chunks,
// and writes each requested challenge matrix as raw little-endian float32 bytes.
const SCRIPT = `
import array, importlib.util, sys
spec = importlib.util.spec_from_file_location('miner_payload', sys.argv[1])
p = importlib.util.module_from_spec(spec)
spec.loader.exec_module(p)
p.CHUNK = 4099
backend, cases = sys.argv[2], sys.argv[3]
for case in cases.split(','):
    seed, n = (int(v) for v in case.split(':'))
    if backend == 'torch':
        m = p.challenge_torch(seed, n, 'cuda:0' if p.torch.cuda.is_available() else 'cpu')
        # via Python floats (exact for float32): independent of torch's numpy bridge
        sys.stdout.buffer.write(array.array('f', m.cpu().flatten().tolist()).tobytes())
    else:
        sys.stdout.buffer.write(p.challenge_np(seed, n).astype('<f4').tobytes())
`;

// seeds whose low 32 bits make the row-major counter wrap past 2^32 inside the matrix
const CASES: [bigint, number][] = [
  [0n, 1],
  [1n, 97],
  [0xffff_ffffn, 256],
  [(5n << 32n) | 0xffff_8000n, 300],
  [0xdead_beef_0123_4567n, 211],
  [2n ** 64n - 1n, 64],
  [0x1234_5678n, 500],
];

/** Every entry of every case from the payload's `backend`, compared bit for bit with the TS generator. */
function compare(backend: 'numpy' | 'torch', python = 'python3'): { entries: number; mismatches: number } {
  const out = execFileSync(
    python,
    ['-c', SCRIPT, DEFAULT_PAYLOAD_PATH, backend, CASES.map(([s, n]) => `${s}:${n}`).join(',')],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  let offset = 0;
  let entries = 0;
  let mismatches = 0;
  for (const [seed, n] of CASES) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (out.readFloatLE(offset) !== challengeEntry(seed, n, i, j)) mismatches++;
        offset += 4;
        entries++;
      }
    }
  }
  expect(offset).toBe(out.length);
  return { entries, mismatches };
}

describe('D10 challenge generator: payload and validator agree bit for bit', () => {
  it('numpy (CPU path) gives the exact float32 values of the TS generator', () => {
    // Prepare / Act
    const { entries, mismatches } = compare('numpy');
    // Assess
    expect(entries).toBeGreaterThan(400_000);
    expect(mismatches).toBe(0);
  });

  // on the GPU when there is one, else the same torch code on the CPU
  const python = torchPython();
  if (python === null) console.info('[pog] torch generator check skipped: no PyTorch on this machine');
  it.skipIf(python === null)(
    'torch (GPU path, mix tables in int64) gives the exact float32 values of the TS generator',
    () => {
      // Prepare / Act
      const { entries, mismatches } = compare('torch', python ?? 'python3');
      // Assess
      expect(entries).toBeGreaterThan(400_000);
      expect(mismatches).toBe(0);
    },
  );
});

// The D11 generator (mix only) and the payload's own, built from the payload's primitives; prints, per
// seed, the numerical rank of A for each and how far C = A·B from A's rank-r factors (by SVD) lands from
// the exact C, in units of the entry tolerance's relative part.
const RANK_SCRIPT = `
import importlib.util, json, sys
import numpy as np
spec = importlib.util.spec_from_file_location('miner_payload', sys.argv[1])
p = importlib.util.module_from_spec(spec)
spec.loader.exec_module(p)
n = int(sys.argv[2])
def mix_only(seed):
    x = (np.arange(n, dtype=np.uint64)[:, None] * np.uint64(n) + np.arange(n, dtype=np.uint64)[None, :] + np.uint64(seed & p.MASK)) & np.uint64(p.MASK)
    return p.signed_unit(p.mix_table_np(x.astype(np.uint32)).astype(np.float64)).astype(np.float32)
out = []
for seed in (int(s) for s in sys.argv[3].split(',')):
    row = {}
    for name, a in (('mixOnly', mix_only(seed)), ('payload', p.challenge_np(seed, n))):
        a = a.astype(np.float64)
        b = p.challenge_np(seed ^ 0x5bd1e995, n).astype(np.float64)
        u, s, vt = np.linalg.svd(a)
        r = int(np.linalg.matrix_rank(a))
        c = a @ b
        shortcut = (u[:, :r] * s[:r]) @ (vt[:r] @ b)
        scale = np.abs(a) @ np.abs(b)
        row[name] = {'rank': r, 'worst': float((np.abs(shortcut - c) / scale).max() / 2.0 ** -24)}
    out.append(row)
print(json.dumps(out))
`;

describe('the low-rank shortcut (why D12 exists)', () => {
  it('the mix alone leaves A of low rank at power-of-two n, so C follows from r ≪ n factors; the finaliser gives full rank', () => {
    // Prepare
    const n = 1024;
    const seeds = [0, 0xdead_beef, 0x9e37_79b9];
    // Act
    const rows = JSON.parse(
      execFileSync('python3', ['-c', RANK_SCRIPT, DEFAULT_PAYLOAD_PATH, String(n), seeds.join(',')], {
        encoding: 'utf8',
      }),
    ) as Record<'mixOnly' | 'payload', { rank: number; worst: number }>[];
    // Assess
    expect(rows).toHaveLength(seeds.length);
    for (const row of rows) {
      // mix only: rank about a third to a half of n, and C from those factors passes D11's 16·u·Σ|a·b|
      expect(row.mixOnly.rank).toBeLessThan(0.6 * n);
      expect(row.mixOnly.worst).toBeLessThan(1);
      expect(row.payload.rank).toBe(n);
    }
  });
});
