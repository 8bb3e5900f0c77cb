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
