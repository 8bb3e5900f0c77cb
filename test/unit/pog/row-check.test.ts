import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import {
  challengeExpectedEntry,
  challengeRowOfA,
  type ExactEntry,
  entryMatches,
  entryTolerance,
  entryToleranceParams,
} from '../../../lib/pog/math.js';
import { RowCheckExit } from '../../../lib/pog/row-check.js';
import {
  type BundleGpu,
  bundleBytes,
  bundleDir,
  bundleHeader,
  frameBundle,
  PAYLOAD_DIR,
  payloadProofRows,
  payloadRows,
  type RowKind,
  rowData,
  runRowCheck,
} from '../../helpers/bundle-file.js';
import { hasCudaTorch, torchPython } from '../../helpers/python.js';

const files = bundleDir();
afterAll(() => files.cleanup());

const SEED_A = 0xdead_beef_0123_4567n;
const SEED_B = (5n << 32n) | 0xffff_8000n; // B's counter wraps past 2^32 inside the matrix

/** 17 distinct rows spread over [0, n), first and last included. */
function challengedRows(n: number, count = 17): number[] {
  const rows = new Set([0, n - 1]);
  for (let k = 1; rows.size < Math.min(count, n); k++) rows.add((k * 7919) % n);
  return [...rows];
}

/** The exact C[i][j] (float64) and its scale by the TS generator, independent of the Python checker. */
function exactRows(n: number, seedA: bigint, seedB: bigint, rows: number[]): ExactEntry[][] {
  return rows.map((i) => {
    const a = challengeRowOfA(seedA, n, i);
    return Array.from({ length: n }, (_, j) => challengeExpectedEntry(a, seedB, j));
  });
}

function entryAt(rows: ExactEntry[][], r: number, j: number): ExactEntry {
  const entry = rows[r]?.[j];
  if (entry === undefined) throw new Error(`no entry (${r}, ${j})`);
  return entry;
}

function bump(row: Float32Array | undefined, j: number, delta: number): void {
  if (row === undefined) throw new Error('no such row');
  row[j] = (row[j] as number) + delta;
}

function gpuOf(gpu: number, n: number, kind: RowKind, seedA = SEED_A, seedB = SEED_B): BundleGpu {
  const rows = challengedRows(n);
  return { gpu, seedA, seedB, rows, values: payloadRows(n, seedA, seedB, rows, kind) };
}

function check(name: string, n: number, gpus: BundleGpu[], args: string[] = []) {
  return runRowCheck(files.write(name, bundleBytes(n, gpus)), args);
}

describe('entryToleranceParams: the tolerance the bundle header carries', () => {
  it('is the one formula behind entryTolerance (atol + rtol·Σ|a·b|)', () => {
    // Prepare
    const { atol, rtol } = entryToleranceParams();
    // Act / Assess
    for (const scale of [0, 1, 7.5, 7320, 16_384]) expect(entryTolerance(scale)).toBe(atol + rtol * scale);
    expect(atol).toBe(1e-5);
    expect(rtol).toBe(16 * 2 ** -24);
  });
});

describe('row checker (python3 lib/pog/payload/row_check.py, CPU path)', () => {
  it.each([64, 257, 1024])(
    'passes every value of 17 honest rows from the real payload (compute + proof) at n = %i',
    (n) => {
      // Prepare
      const rows = challengedRows(n);
      const values = payloadProofRows(n, SEED_A, SEED_B, rows);
      // Act
      const run = check(`honest-${n}.pogb`, n, [{ gpu: 3, seedA: SEED_A, seedB: SEED_B, rows, values }]);
      // Assess
      expect(run.status).toBe(0);
      expect(run.result?.device).toBe('cpu');
      expect(run.result?.entriesChecked).toBe(17 * n);
      expect(run.result?.gpus).toEqual([
        {
          gpu: 3,
          rowsChecked: 17,
          entriesChecked: 17 * n,
          wrongValues: 0,
          wrongRows: 0,
          firstWrong: null,
          maxRelError: expect.any(Number),
        },
      ]);
      expect(run.result?.gpus[0]?.maxRelError).toBeLessThan(entryToleranceParams().rtol);
      expect(run.result?.gpus[0]?.maxRelError).toBeGreaterThan(0); // float32 rounding: the values were compared
    },
    60_000,
  );

  it('finds one wrong value in every row of one GPU, agreeing with the TS entryMatches on every value', () => {
    // Prepare: GPU 0 honest; GPU 1 has one value per row just outside the tolerance and one just inside
    const n = 257;
    const honest = gpuOf(0, n, 'float32');
    const cheat = gpuOf(1, n, 'exact', SEED_B, SEED_A);
    const exact = exactRows(n, SEED_B, SEED_A, cheat.rows);
    const wrongCols = cheat.rows.map((_, r) => (r * 31 + 5) % n);
    cheat.values.forEach((row, r) => {
      const j = wrongCols[r] as number;
      const e = entryAt(exact, r, j);
      row[j] = Math.fround(e.value + 3 * entryTolerance(e.scale));
      const inside = (j + 1) % n;
      const ei = entryAt(exact, r, inside);
      row[inside] = Math.fround(ei.value - 0.5 * entryTolerance(ei.scale));
    });
    let tsWrong = 0;
    cheat.values.forEach((row, r) => {
      row.forEach((v, j) => {
        if (!entryMatches(v, entryAt(exact, r, j))) tsWrong++;
      });
    });
    // Act
    const run = check('one-wrong-per-row.pogb', n, [honest, cheat], ['--block-cols', '16']);
    // Assess
    expect(run.status).toBe(0);
    const [g0, g1] = run.result?.gpus ?? [];
    expect(g0).toMatchObject({ gpu: 0, wrongValues: 0, wrongRows: 0, firstWrong: null });
    expect(g1).toMatchObject({
      gpu: 1,
      rowsChecked: 17,
      entriesChecked: 17 * n,
      wrongValues: 17,
      wrongRows: 17,
    });
    expect(tsWrong).toBe(17);
    const first = entryAt(exact, 0, wrongCols[0] as number).value;
    expect(g1?.firstWrong).toMatchObject({
      row: cheat.rows[0],
      col: wrongCols[0],
      got: cheat.values[0]?.[wrongCols[0] as number],
    });
    // both sides sum in float64, in different orders
    expect(Math.abs((g1?.firstWrong?.expected ?? 0) - first)).toBeLessThan(
      entryAt(exact, 0, wrongCols[0] as number).scale * 1e-12,
    );
    expect(run.result?.entriesChecked).toBe(2 * 17 * n);
  }, 60_000);

  it('counts NaN and infinite values as wrong and reports them as got: null', () => {
    // Prepare
    const n = 64;
    const gpu = gpuOf(0, n, 'float32');
    (gpu.values[4] as Float32Array)[9] = Number.NaN;
    (gpu.values[2] as Float32Array)[63] = Number.POSITIVE_INFINITY;
    (gpu.values[2] as Float32Array)[10] = Number.NEGATIVE_INFINITY;
    // Act
    const run = check('non-finite.pogb', n, [gpu]);
    // Assess
    expect(run.status).toBe(0);
    expect(run.result?.gpus[0]).toMatchObject({ wrongValues: 3, wrongRows: 2 });
    expect(run.result?.gpus[0]?.firstWrong).toMatchObject({ row: gpu.rows[2], col: 10, got: null });
    expect(Number.isFinite(run.result?.gpus[0]?.maxRelError)).toBe(true);
  }, 60_000);

  it.each([
    ['float16', 257],
    ['float16', 1024],
    ['float16', 4096],
    ['tf32', 257],
    ['tf32', 640],
    // with entries in [0, 1] these passed from n ≈ 2 000 on: their rounding errors averaged out (D11)
    ['tf32', 2048],
    ['tf32', 4096],
    ['tf32-truncate', 1024],
    ['tf32-truncate', 4096],
  ] as const)(
    'fails %s-computed rows at n = %i in every challenged row',
    (kind, n) => {
      // Prepare
      const gpu = gpuOf(0, n, kind);
      // Act
      const run = check(`${kind}-${n}.pogb`, n, [gpu]);
      // Assess
      expect(run.status).toBe(0);
      const result = run.result?.gpus[0];
      expect(result?.wrongRows).toBe(17);
      expect(result?.wrongValues).toBeGreaterThan(17);
      expect(result?.maxRelError).toBeGreaterThan(entryToleranceParams().rtol);
      expect(result?.firstWrong?.row).toBe(gpu.rows[0]);
    },
    60_000,
  );

  it('checks the GPUs that share B (D13) as one run: B generated once, each GPU its own verdict, in header order', () => {
    // Prepare: GPUs 0, 2 and 3 share SEED_B, GPU 1 has its own B; GPU 2 has one wrong value in every row
    const n = 64;
    const otherB = 0x1234_5678_9abc_def0n;
    const gpus = [
      gpuOf(0, n, 'float32', 11n),
      gpuOf(1, n, 'float32', 12n, otherB),
      gpuOf(2, n, 'float32', 13n),
      gpuOf(3, n, 'float32', 14n),
    ];
    for (const [r, row] of (gpus[2]?.values ?? []).entries()) bump(row, (r * 5) % n, 1);
    const path = files.write('shared-b.pogb', bundleBytes(n, gpus));
    // counts the checker's generations of B's column blocks (all n rows), per seed
    const counting = [
      'import collections, json, sys',
      `sys.path.insert(0, ${JSON.stringify(PAYLOAD_DIR)})`,
      'import row_check, miner_payload as p',
      'calls, real = collections.Counter(), p.challenge_block_np',
      'def counted(seed, n, rows, c0, k):',
      '    if len(rows) == n: calls[str(seed)] += 1',
      '    return real(seed, n, rows, c0, k)',
      'p.challenge_block_np = counted',
      'report = row_check.check(sys.argv[1], "cpu", 16)',
      'header = [{"seedB": s, "rows": [0]} for s in (1, 2, 1, 1)]',
      'print(json.dumps({"report": report, "calls": calls,',
      '  "runs": list(row_check.runs(header)), "capped": list(row_check.runs([{"seedB": 1, "rows": [0] * 17}] * 3, 34))}))',
    ].join('\n');
    // Act
    const out = spawnSync('python3', ['-c', counting, path], { encoding: 'utf8' });
    const cli = runRowCheck(path, ['--block-cols', '16']);
    // the CUDA path's torch code on the CPU, where Debian's python3-torch is installed (CI installs it)
    const torch = torchPython();
    const viaTorch = torch
      ? runRowCheck(path, ['--block-cols', '16', '--device', 'torch-cpu'], torch)
      : undefined;
    // Assess
    expect(out.status, out.stderr).toBe(0);
    const { report, calls, runs, capped } = JSON.parse(out.stdout);
    // 4 blocks of 16 columns: once for the shared B, once for GPU 1's, not once per GPU
    expect(calls).toEqual({ [SEED_B.toString()]: 4, [otherB.toString()]: 4 });
    expect(runs).toEqual([[0, 2, 3], [1]]);
    // a run holds at most as many rows as one GPU may: 3 GPUs of 17 rows under a cap of 34
    expect(capped).toEqual([[0, 1], [2]]);
    expect(cli.result?.gpus).toEqual(report.gpus);
    if (viaTorch !== undefined) {
      expect(viaTorch.status, viaTorch.stderr).toBe(0);
      expect(
        viaTorch.result?.gpus.map((g) => [g.gpu, g.wrongValues, g.wrongRows, g.firstWrong?.col ?? null]),
      ).toEqual(
        report.gpus.map(
          (g: {
            gpu: number;
            wrongValues: number;
            wrongRows: number;
            firstWrong: { col: number } | null;
          }) => [g.gpu, g.wrongValues, g.wrongRows, g.firstWrong?.col ?? null],
        ),
      );
    }
    expect(
      report.gpus.map((g: { gpu: number; wrongValues: number; wrongRows: number }) => [
        g.gpu,
        g.wrongValues,
        g.wrongRows,
      ]),
    ).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [2, 17, 17],
      [3, 0, 0],
    ]);
  }, 60_000);

  it('gives the same verdict for any column block size, down to one column', () => {
    // Prepare
    const n = 100;
    const gpu = gpuOf(7, n, 'float32');
    bump(gpu.values[0], 99, 1);
    bump(gpu.values[5], 0, -1);
    (gpu.values[5] as Float32Array)[50] = Number.NaN;
    const path = files.write('blocks.pogb', bundleBytes(n, [gpu]));
    // Act
    const runs = ['1', '7', '64', '100', '0'].map((k) => runRowCheck(path, ['--block-cols', k]));
    // Assess
    const verdicts = runs.map((r) => r.result?.gpus);
    expect(verdicts[0]?.[0]).toMatchObject({
      wrongValues: 3,
      wrongRows: 2,
      firstWrong: { row: gpu.rows[0], col: 99 },
    });
    // the float64 sums of a block product may differ in their last bit with the block's shape
    const close = (x: number | undefined) => expect.closeTo(x ?? Number.NaN, 12);
    const first = verdicts[0]?.[0];
    for (const v of verdicts) {
      expect(v?.[0]).toEqual({
        ...first,
        maxRelError: close(first?.maxRelError),
        firstWrong: { ...first?.firstWrong, expected: close(first?.firstWrong?.expected) },
      });
    }
  }, 60_000);

  it('checks n = 4096 in 64-column blocks without holding B (peak memory independent of n²)', () => {
    // Prepare
    const small = gpuOf(0, 64, 'float32');
    const large = gpuOf(0, 4096, 'float32');
    // Act
    const baseline = check('mem-64.pogb', 64, [small], ['--block-cols', '64']);
    const run = check('mem-4096.pogb', 4096, [large], ['--block-cols', '64']);
    // Assess: B alone is 64 MiB as float32 and 128 MiB as float64 at n = 4096
    expect(run.status).toBe(0);
    expect(run.result?.gpus[0]).toMatchObject({ entriesChecked: 17 * 4096, wrongValues: 0 });
    expect(run.maxRssMib - baseline.maxRssMib).toBeLessThan(32);
  }, 120_000);
});

describe('row checker: invalid bundles exit 2 with one line on stderr and nothing on stdout', () => {
  const n = 16;
  const gpu: BundleGpu = {
    gpu: 0,
    seedA: 1n,
    seedB: 2n,
    rows: [0, 15],
    values: [new Float32Array(n), new Float32Array(n)],
  };
  const header = bundleHeader(n, [gpu]);
  const json = (h: object) => Buffer.from(JSON.stringify(h), 'utf8');
  const data = rowData([gpu]);
  const withGpu = (patch: object) => json({ ...header, gpus: [{ ...header.gpus[0], ...patch }] });
  const cases: [string, Buffer][] = [
    ['an empty file', Buffer.alloc(0)],
    ['a bad magic', frameBundle(json(header), data, { magic: 'POGX' })],
    ['a header length over 1 MiB', frameBundle(json(header), data, { declaredLength: (1 << 20) + 1 })],
    ['a header cut short', frameBundle(json(header), Buffer.alloc(0)).subarray(0, 20)],
    ['row data one value short', frameBundle(json(header), data.subarray(0, data.length - 4))],
    ['one byte after the row data', frameBundle(json(header), Buffer.concat([data, Buffer.alloc(1)]))],
    ['a header that is not JSON', frameBundle(Buffer.from('{"version":1,'), data)],
    ['a header that is not UTF-8', frameBundle(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), data)],
    ['version 2', frameBundle(json({ ...header, version: 2 }), data)],
    ['n = 0', frameBundle(json({ ...header, n: 0 }), Buffer.alloc(0))],
    ['n = 65 537', frameBundle(json({ ...header, n: 65_537 }), data)],
    ['n = 16.5', frameBundle(json({ ...header, n: 16.5 }), data)],
    [
      'a NaN tolerance',
      frameBundle(Buffer.from(json(header).toString().replace('"atol":0.00001', '"atol":NaN')), data),
    ],
    ['a negative rtol', frameBundle(json({ ...header, tolerance: { atol: 1e-5, rtol: -1 } }), data)],
    ['no GPUs', frameBundle(json({ ...header, gpus: [] }), Buffer.alloc(0))],
    ['65 GPUs', frameBundle(json({ ...header, gpus: Array(65).fill(header.gpus[0]) }), data)],
    ['1 025 rows', frameBundle(withGpu({ rows: Array.from({ length: 1025 }, () => 0) }), data)],
    ['no rows', frameBundle(withGpu({ rows: [] }), Buffer.alloc(0))],
    ['a row index = n', frameBundle(withGpu({ rows: [0, 16] }), data)],
    ['a seed that is a number', frameBundle(withGpu({ seedA: 1 }), data)],
    ['a seed ≥ 2^64', frameBundle(withGpu({ seedB: (2n ** 64n).toString() }), data)],
    ['a seed with a sign', frameBundle(withGpu({ seedB: '-1' }), data)],
  ];

  it.each(cases)('%s', (name, bytes) => {
    // Prepare
    const path = files.write(`invalid-${name.replace(/[^a-z0-9]+/gi, '-')}.pogb`, bytes);
    // Act
    const run = runRowCheck(path);
    // Assess
    expect(run.status).toBe(RowCheckExit.InvalidBundle);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^invalid bundle: [^\n]+\n$/);
  });

  it('the valid bundle these are made from passes the header checks (exit 0)', () => {
    // Prepare
    const path = files.write('valid-base.pogb', frameBundle(json(header), data));
    // Act
    const run = runRowCheck(path);
    // Assess: all-zero rows are wrong values, not an invalid bundle
    expect(run.status).toBe(RowCheckExit.Ok);
    expect(run.result?.gpus[0]).toMatchObject({ wrongRows: 2 });
  });

  it('exits 1, not 2, for faults that are not the bundle’s: a missing file, bad arguments', () => {
    // Prepare
    const valid = files.write('valid-exit1.pogb', frameBundle(json(header), data));
    // Act
    const runs = [
      runRowCheck(`${files.dir}/missing.pogb`),
      runRowCheck(valid, ['--device', 'tpu']),
      runRowCheck(valid, ['--block-cols', '-3']),
    ];
    // Assess
    for (const run of runs) {
      expect(run.status).toBe(RowCheckExit.Fault);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^row_check: /);
    }
  });
});

const cuda = hasCudaTorch();
if (!cuda) console.info('[pog] row checker CUDA tests skipped: no torch with CUDA on this machine');

describe('row checker: device selection without CUDA', () => {
  it.skipIf(cuda)('--device cuda exits 1 with a clear reason; auto falls back to numpy on the CPU', () => {
    // Prepare
    const n = 32;
    const path = files.write('no-cuda.pogb', bundleBytes(n, [gpuOf(0, n, 'float32')]));
    // Act
    const forced = runRowCheck(path, ['--device', 'cuda']);
    const auto = runRowCheck(path, ['--device', 'auto']);
    // Assess
    expect(forced.status).toBe(1);
    expect(forced.stdout).toBe('');
    expect(forced.stderr).toMatch(/CUDA is not available/);
    expect(auto.result?.device).toBe('cpu');
  });
});

/** Three GPUs: honest float32 rows, exact rows with one wrong value each, truncating-TF32 rows. */
function mixedBundle(n: number): Buffer {
  const honest = gpuOf(0, n, 'float32');
  const wrong = gpuOf(1, n, 'exact');
  wrong.values.forEach((row, r) => {
    bump(row, (r * 37) % n, 1);
  });
  return bundleBytes(n, [honest, wrong, gpuOf(2, n, 'tf32-truncate')]);
}

describe('row checker: CUDA path (torch)', () => {
  it.skipIf(!cuda)(
    'gives the CPU verdict on honest, one-wrong-per-row and truncating-TF32 rows at n = 1024',
    () => {
      // Prepare
      const n = 1024;
      const path = files.write('cuda.pogb', mixedBundle(n));
      // Act
      const gpuRun = runRowCheck(path, ['--device', 'cuda', '--block-cols', '100']);
      const cpuRun = runRowCheck(path, ['--device', 'cpu']);
      // Assess
      expect(gpuRun.result?.device).toBe('cuda');
      const strip = (g: { maxRelError: number }[] | undefined) =>
        g?.map(({ maxRelError: _, ...rest }) => rest);
      expect(strip(gpuRun.result?.gpus)).toEqual(strip(cpuRun.result?.gpus));
      expect(gpuRun.result?.gpus.map((g) => g.wrongRows)).toEqual([0, 17, 17]);
    },
    120_000,
  );
});

const python = torchPython();
if (python === null) console.info('[pog] row checker torch tests skipped: no PyTorch on this machine');

describe('row checker: the CUDA path’s torch code on the CPU (--device torch-cpu)', () => {
  it.skipIf(python === null)(
    'gives the numpy verdict, value for value, on honest, one-wrong-per-row and truncating-TF32 rows, in blocks',
    () => {
      // Prepare: B in blocks of 100 columns (the last one short), B's counter wrapping past 2^32
      const n = 1024;
      const path = files.write('torch-cpu.pogb', mixedBundle(n));
      // Act
      const torchRun = runRowCheck(path, ['--device', 'torch-cpu', '--block-cols', '100'], python ?? '');
      const numpyRun = runRowCheck(path, ['--device', 'cpu'], python ?? '');
      // Assess
      expect(torchRun.stderr).toBe('');
      expect(torchRun.result?.device).toBe('cpu');
      expect(torchRun.result?.gpus).toEqual(numpyRun.result?.gpus);
      expect(torchRun.result?.gpus.map((g) => [g.wrongRows, g.wrongValues])).toEqual([
        [0, 0],
        [17, 17],
        [17, expect.any(Number)],
      ]);
      expect(torchRun.result?.entriesChecked).toBe(3 * 17 * n);
    },
    120_000,
  );
});
