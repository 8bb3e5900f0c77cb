import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { torchPython } from '../../helpers/python.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/device_run.py');

const VerdictSchema = z.object({ enforceReady: z.boolean(), reasons: z.array(z.string()) });
const VariantSchema = z.object({
  wrongValues: z.number(),
  wrongRows: z.number(),
  valuesPerSecond: z.number(),
});
const PrecisionSchema = z.object({
  sizes: z.array(z.object({ n: z.number(), variants: z.record(z.string(), VariantSchema) })),
});

// The device run's one command (README, "Device run"), tried with its torch code on the CPU at small n
const python = torchPython();
if (python === null) console.info('[pog] device_run.py skipped: no PyTorch on this machine');

describe.skipIf(python === null)('bench/device_run.py on the CPU (torch-cpu)', () => {
  let out = '';
  afterEach(() => rmSync(out, { recursive: true, force: true }));
  const runIt = (...args: string[]) => {
    out = mkdtempSync(join(tmpdir(), 'device-run-'));
    execFileSync(python ?? 'python3', [SCRIPT, '--out', out, '--device', 'torch-cpu', ...args], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const read = (name: string): unknown => JSON.parse(readFileSync(join(out, name), 'utf8'));
    return { read, verdict: VerdictSchema.parse(read('verdict.json')) };
  };

  it('writes every report; honest rows pass, every cheat fails, and small n alone is no case for enforce', () => {
    // Prepare / Act
    const { read, verdict } = runIt('--n', '128,256', '--budget-s', '200');
    const precision = PrecisionSchema.parse(read('precision.json'));
    // Assess
    expect(read('machine.json')).toMatchObject({ device: 'torch-cpu' });
    expect(read('device_check.json')).toMatchObject({
      sizes: { 128: { identity: { mismatches: 0 } }, 256: { identity: { mismatches: 0 } } },
    });
    expect(precision.sizes.map((s) => s.n)).toEqual([128, 256]);
    for (const size of precision.sizes) {
      expect(size.variants.honest?.wrongValues).toBe(0);
      for (const [name, variant] of Object.entries(size.variants)) {
        if (name !== 'honest') expect(variant.wrongRows, name).toBeGreaterThan(0);
      }
    }
    expect(verdict).toEqual({ enforceReady: false, reasons: ['no size at n >= 29280'] });
  }, 120_000);

  it('records a step that runs past the budget and still writes the verdict', () => {
    // Prepare / Act: no time at all
    const { read, verdict } = runIt('--n', '128', '--budget-s', '0');
    // Assess
    const error = "ran past the time left of the run's budget (0 s)";
    expect(read('device_check.json')).toEqual({ sizes: { 128: { error } } });
    expect(verdict.enforceReady).toBe(false);
    expect(verdict.reasons).toEqual([
      `n = 128: device_check did not finish: ${error}`,
      `n = 128: row_check_precision did not finish: ${error}`,
      'no size at n >= 29280',
    ]);
  }, 120_000);
});
