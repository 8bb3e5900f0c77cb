import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { entryToleranceParams } from '../../../lib/pog/math.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/row_check_precision.py');

const VariantSchema = z.object({
  valuesChecked: z.number(),
  wrongValues: z.number(),
  wrongRows: z.number(),
  maxRelErrorOverRtol: z.number(),
});
const ReportSchema = z.object({
  device: z.string(),
  sizes: z.array(
    z.object({
      n: z.number(),
      honestSource: z.string(),
      tolerance: z.object({ atol: z.number(), rtol: z.number() }),
      variants: z.record(z.string(), VariantSchema),
    }),
  ),
});
type Report = z.infer<typeof ReportSchema>;

/**
 * The precision bench's verdicts at the sizes CI can afford: the row checker (its own functions) against
 * the payload's honest rows and four cheats.
 */
describe('bench/row_check_precision.py on the CPU', () => {
  let report: Report;
  const size = (n: number) => {
    const found = report.sizes.find((s) => s.n === n);
    if (found === undefined) throw new Error(`no figures for n = ${n}`);
    return found;
  };
  const variant = (n: number, name: string) => {
    const found = size(n).variants[name];
    if (found === undefined) throw new Error(`no variant ${name} at n = ${n}`);
    return found;
  };

  beforeAll(() => {
    // Prepare / Act: one run, honest rows from the payload's own compute and proof modes
    const out = execFileSync('python3', [SCRIPT, '--device', 'cpu', '--n', '256,1024', '--payload'], {
      encoding: 'utf8',
    });
    report = ReportSchema.parse(JSON.parse(out));
  });

  it('uses the bundle tolerance of lib/pog/math.ts for each n', () => {
    for (const n of [256, 1024]) expect(size(n).tolerance).toEqual(entryToleranceParams());
  });

  it('passes every value of the payload honest rows', () => {
    for (const n of [256, 1024]) {
      expect(size(n).honestSource).toBe('payload-numpy');
      expect(variant(n, 'honest')).toMatchObject({ valuesChecked: 17 * n, wrongValues: 0 });
      expect(variant(n, 'honest').maxRelErrorOverRtol).toBeLessThan(1);
    }
  });

  it('finds exactly the one wrong value of every row and every float16 output', () => {
    for (const n of [256, 1024]) {
      expect(variant(n, 'one-wrong')).toMatchObject({ wrongValues: 17, wrongRows: 17 });
      expect(variant(n, 'fp16-output').wrongRows).toBe(17);
    }
  });

  it('finds float16 and TF32 inputs summed in float32 in every row (with entries in [0, 1] they passed from n = 1 024)', () => {
    for (const n of [256, 1024]) {
      for (const name of ['fp16-inputs', 'tf32-inputs']) expect(variant(n, name).wrongRows).toBe(17);
    }
  });
});
