import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCudaTorch } from '../test/helpers/python.js';

/**
 * `npm run bench -- precision`: bench/row_check_precision.py (the row checker against honest float32 rows
 * and four cheats) at BENCH_PRECISION_N (default 1024,4096). On a machine with CUDA the checker runs there
 * and the honest rows come from the payload's own GPU path; elsewhere numpy on the CPU.
 */
export async function run(): Promise<Record<string, string | number>> {
  const cuda = hasCudaTorch();
  const sizes = process.env.BENCH_PRECISION_N ?? '1024,4096';
  const script = join(dirname(fileURLToPath(import.meta.url)), 'row_check_precision.py');
  const args = [script, '--n', sizes, '--device', cuda ? 'cuda' : 'cpu', ...(cuda ? ['--payload'] : [])];
  const out = spawnSync('python3', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (out.status !== 0) throw new Error(`row_check_precision.py exited ${out.status}: ${out.stderr.trim()}`);
  const report = JSON.parse(out.stdout) as {
    deviceName: string;
    sizes: Array<{
      n: number;
      honestSource: string;
      variants: Record<string, { valuesChecked: number; wrongValues: number; maxRelErrorOverRtol: number }>;
    }>;
  };
  const figures: Record<string, string | number> = { precision_device: report.deviceName };
  for (const size of report.sizes) {
    figures[`precision_n${size.n}_honest_source`] = size.honestSource;
    for (const [name, v] of Object.entries(size.variants)) {
      figures[`precision_n${size.n}_${name}`] =
        `${v.wrongValues} of ${v.valuesChecked} wrong, max error ${v.maxRelErrorOverRtol.toFixed(3)} x rtol`;
    }
  }
  return figures;
}
