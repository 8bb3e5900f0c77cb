import { pathToFileURL } from 'node:url';
import { rowCheckValuesPerSecond, T4 } from '../lib/cost/gpu-estimate.js';
import { parsePogEngineConfig } from '../lib/pog/config.js';
import { runRowCheck as runOneShot } from '../lib/pog/row-check.js';
import { startRowChecker } from '../lib/pog/row-check-process.js';
import {
  type BundleGpu,
  bundleBytes,
  bundleDir,
  payloadRows,
  type RowCheckResult,
  runRowCheck,
} from '../test/helpers/bundle-file.js';
import { hasCudaTorch, torchPython } from '../test/helpers/python.js';

const ROWS = 17;
const SEED_A = 0x1234_5678_9abc_def0n;
const SEED_B = 0x0fed_cba9_8765_4321n;

function rowsOf(n: number): number[] {
  const rows = new Set<number>();
  for (let k = 0; rows.size < ROWS; k++) rows.add((k * 7919 + 13) % n);
  return [...rows];
}

/**
 * One bundle of one GPU with 17 rows at size n, checked `tries` times on `device`; the best run counts (the
 * machine is shared). `seconds` is the checker's own figure (reading rows, regenerating A's rows and B, the
 * float64 products, the comparisons), without the interpreter's start, which the wall figure includes.
 */
function measure(
  dir: ReturnType<typeof bundleDir>,
  n: number,
  device: 'cpu' | 'cuda' | 'torch-cpu',
  values: (rows: number[]) => Float32Array[],
  tries: number,
  python = 'python3',
): { best: RowCheckResult; wallS: number } {
  const rows = rowsOf(n);
  const gpu: BundleGpu = { gpu: 0, seedA: SEED_A, seedB: SEED_B, rows, values: values(rows) };
  const path = dir.write(`rowcheck-${device}-${n}.pogb`, bundleBytes(n, [gpu]));
  return bestOf(path, device, tries, python);
}

/** A bundle file checked `tries` times: the run with the least checker time, and the least wall time. */
function bestOf(
  path: string,
  device: 'cpu' | 'cuda' | 'torch-cpu',
  tries: number,
  python: string,
): { best: RowCheckResult; wallS: number } {
  let best: RowCheckResult | undefined;
  let wallS = Number.POSITIVE_INFINITY;
  for (let t = 0; t < tries; t++) {
    const start = performance.now();
    const run = runRowCheck(path, ['--device', device], python);
    wallS = Math.min(wallS, (performance.now() - start) / 1000);
    if (run.result === undefined) throw new Error(`row checker exited ${run.status}: ${run.stderr.trim()}`);
    if (best === undefined || run.result.seconds < best.seconds) best = run.result;
  }
  return { best: best as RowCheckResult, wallS };
}

function figures(
  prefix: string,
  r: { best: RowCheckResult; wallS: number },
): Record<string, string | number> {
  const g = r.best.gpus[0];
  return {
    [`${prefix}_values_per_s`]: Math.round(r.best.entriesChecked / r.best.seconds),
    [`${prefix}_seconds`]: Math.round(r.best.seconds * 1000) / 1000,
    [`${prefix}_wall_s_with_python_start`]: Math.round(r.wallS * 1000) / 1000,
    [`${prefix}_values_checked`]: r.best.entriesChecked,
    [`${prefix}_wrong_values`]: g?.wrongValues ?? -1,
  };
}

/**
 * D13: the checker's own seconds (best of 3) for a bundle of `gpus` GPUs with 17 rows each at size n, their B
 * shared (one run: B generated once) or one B per GPU (as before D13). Rows of zeros: the checker does the same
 * work whatever the values are.
 */
function sharedB(
  dir: ReturnType<typeof bundleDir>,
  n: number,
  gpus: number,
  device: 'cpu' | 'torch-cpu',
  python = 'python3',
) {
  const rows = rowsOf(n);
  const bundle = (shared: boolean): BundleGpu[] =>
    Array.from({ length: gpus }, (_, g) => ({
      gpu: g,
      seedA: SEED_A + BigInt(g),
      seedB: shared ? SEED_B : SEED_B + BigInt(g),
      rows,
      values: rows.map(() => new Float32Array(n)),
    }));
  const best = (shared: boolean) => {
    const path = dir.write(`sharedb-${device}-${n}-${shared}.pogb`, bundleBytes(n, bundle(shared)));
    return Math.round(bestOf(path, device, 3, python).best.seconds * 1000) / 1000;
  };
  return { sharedS: best(true), perGpuS: best(false) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const ms = (s: number) => Math.round(s * 1000);

/**
 * Wall time per bundle as the verifier job sees it (spawn, request, parse), one process per bundle against
 * one `--serve` process for all of them, `count` honest 17-row bundles at size n on the CPU path. Medians (the
 * machine is shared); the persistent figure leaves out the process's own start, which `startS` gives (from
 * construction to the first answer: the start plus one check).
 */
async function perBundle(dir: ReturnType<typeof bundleDir>, n: number, count: number) {
  const rows = rowsOf(n);
  const values = payloadRows(n, SEED_A, SEED_B, rows, 'float32');
  const path = dir.write(
    `perbundle-${n}.pogb`,
    bundleBytes(n, [{ gpu: 0, seedA: SEED_A, seedB: SEED_B, rows, values }]),
  );
  const options = { python: 'python3', device: 'cpu', timeoutMs: 120_000 } as const;
  const oneShot: number[] = [];
  for (let k = 0; k < count; k++) {
    const start = performance.now();
    const report = await runOneShot(path, options);
    oneShot.push((performance.now() - start) / 1000);
    if (report.gpus[0]?.wrongValues !== 0) throw new Error('one-shot: honest bundle reported wrong values');
  }
  const created = performance.now();
  const checker = startRowChecker(options);
  const persistent: number[] = [];
  let startS = 0;
  try {
    for (let k = 0; k <= count; k++) {
      const start = performance.now();
      const report = await checker.check(path);
      if (k === 0) startS = (performance.now() - created) / 1000;
      else persistent.push((performance.now() - start) / 1000);
      if (report.gpus[0]?.wrongValues !== 0)
        throw new Error('persistent: honest bundle reported wrong values');
    }
  } finally {
    await checker.close();
  }
  return { oneShotS: median(oneShot), persistentS: median(persistent), startS };
}

/** Figures for `npm run bench -- rowcheck` (bench/run.ts) or `npx tsx bench/rowcheck.ts`. */
export async function run(): Promise<Record<string, string | number>> {
  const dir = bundleDir();
  try {
    // CPU path: honest rows as the payload's numpy path computes them (every value must pass)
    const out: Record<string, string | number> = {};
    for (const n of [256, 1024]) {
      const r = await perBundle(dir, n, 7);
      out[`rowcheck_cpu_n${n}_oneshot_ms_per_bundle`] = ms(r.oneShotS);
      out[`rowcheck_cpu_n${n}_persistent_ms_per_bundle`] = ms(r.persistentS);
      out[`rowcheck_cpu_n${n}_persistent_first_answer_ms`] = ms(r.startS);
    }
    for (const n of [1024, 4096]) {
      const r = measure(dir, n, 'cpu', (rows) => payloadRows(n, SEED_A, SEED_B, rows, 'float32'), 3);
      out.rowcheck_cpu_device = r.best.deviceName;
      Object.assign(out, figures(`rowcheck_cpu_n${n}`, r));
    }
    // D13: 4 GPUs sharing B against a B per GPU
    for (const [device, python] of [
      ['cpu', 'python3'],
      ['torch-cpu', torchPython()],
    ] as const) {
      if (python === null) continue;
      const r = sharedB(dir, 1024, 4, device, python);
      out[`rowcheck_${device.replace('-', '_')}_n1024_4gpu_shared_b_s`] = r.sharedS;
      out[`rowcheck_${device.replace('-', '_')}_n1024_4gpu_b_per_gpu_s`] = r.perGpuS;
    }
    // the CUDA path's torch code (mix tables, float64 products in blocks) on the CPU, when torch is here
    const python = torchPython();
    if (python === null) out.rowcheck_torch_cpu = 'skipped: no PyTorch on this machine';
    for (const n of python === null ? [] : [1024, 4096]) {
      const r = measure(
        dir,
        n,
        'torch-cpu',
        (rows) => payloadRows(n, SEED_A, SEED_B, rows, 'float32'),
        3,
        python ?? 'python3',
      );
      Object.assign(out, figures(`rowcheck_torch_cpu_n${n}`, r));
    }
    // what the cost model prices: a T4 (the default verifier instance's card), from its published rates
    const rows = parsePogEngineConfig().rowsPerGpu;
    for (const n of [29_280, 65_536]) {
      for (const gpus of [1, 8]) {
        out[`rowcheck_t4_n${n}_${gpus}gpu_values_per_s (derived from published rates, an estimate)`] =
          Math.round(rowCheckValuesPerSecond(n, rows, gpus, T4));
      }
    }
    if (!hasCudaTorch()) {
      out.rowcheck_cuda = 'skipped: no torch with CUDA on this machine';
      return out;
    }
    // CUDA path at real sizes: honest rows would take the CPU minutes to produce, and the checker does the same
    // work whatever the values are, so the rows are zeros (every value compared, every value wrong)
    for (const n of [29_280, 65_536]) {
      const r = measure(dir, n, 'cuda', (rows) => rows.map(() => new Float32Array(n)), 2);
      out.rowcheck_cuda_device = r.best.deviceName;
      Object.assign(out, figures(`rowcheck_cuda_n${n}`, r));
    }
    return out;
  } finally {
    dir.cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
