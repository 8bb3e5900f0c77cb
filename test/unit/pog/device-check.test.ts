import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PAYLOAD_PROTOCOL } from '../../../lib/pog/verify.js';
import { torchPython } from '../../helpers/python.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/device_check.py');

const ReportSchema = z.object({
  device: z.literal('torch-cpu'),
  protocol: z.number(),
  identity: z.object({ cases: z.number(), entries: z.number(), mismatches: z.number() }),
  generation: z.array(
    z.object({ n: z.number(), seconds: z.number(), nsPerEntry: z.number(), finaliseNsPerEntry: z.number() }),
  ),
  compute: z.array(
    z.object({
      n: z.number(),
      timings: z.object({
        n: z.number(),
        generation_time: z.number(),
        multiplication_time: z.number(),
        merkle_tree_time: z.number(),
      }),
    }),
  ),
});

// The script a device run starts with (lib/pog/README.md, "Device run"), tried with its torch code on the CPU
const python = torchPython();
if (python === null) console.info('[pog] device_check.py skipped: no PyTorch on this machine');

describe.skipIf(python === null)('bench/device_check.py on the CPU (torch-cpu)', () => {
  it('finds the torch generator bit-identical to numpy and reports generation and compute figures', () => {
    // Prepare / Act
    const out = execFileSync(python ?? 'python3', [SCRIPT, '--device', 'torch-cpu', '--n', '96,128'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const report = ReportSchema.parse(JSON.parse(out));
    // Assess
    expect(report.protocol).toBe(PAYLOAD_PROTOCOL);
    expect(report.identity.cases).toBeGreaterThanOrEqual(9);
    expect(report.identity.entries).toBeGreaterThan(18_000_000);
    expect(report.identity.mismatches).toBe(0);
    expect(report.generation.map((g) => g.n)).toEqual([96, 128]);
    expect(report.compute.map((c) => c.timings.n)).toEqual([96, 128]);
    for (const g of report.generation) expect(g.finaliseNsPerEntry).toBeGreaterThan(0);
  }, 120_000);
});
