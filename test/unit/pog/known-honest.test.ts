import { afterAll, describe, expect, it } from 'vitest';
import { checkMerklePaths } from '../../../lib/pipeline/verifier.js';
import { decodeBundle } from '../../../lib/pog/bundle.js';
import { KNOWN_HONEST, knownHonestBundle } from '../../../lib/pog/known-honest.js';
import { startRowChecker } from '../../../lib/pog/row-check-process.js';
import { bundleDir, runRowCheck } from '../../helpers/bundle-file.js';
import { hasCudaTorch, torchPython } from '../../helpers/python.js';

const files = bundleDir();
afterAll(() => files.cleanup());
const torch = torchPython();
const cuda = hasCudaTorch();

describe('the row checker self-test bundle', () => {
  it('commits its rows: every Merkle path leads to its root', () => {
    // Act
    const bundle = decodeBundle(knownHonestBundle());
    // Assess
    expect(bundle.header).toMatchObject({ n: KNOWN_HONEST.n, numGpus: 1 });
    expect(bundle.header.gpus[0]?.rows).toEqual([...KNOWN_HONEST.rows]);
    expect(checkMerklePaths(bundle)).toEqual(new Map());
  });

  /** The served checker's report on the self-test bundle, on `device`. */
  const served = async (device: 'cpu' | 'cuda') => {
    const path = files.write(`self-test-${device}.pogb`, knownHonestBundle());
    const checker = startRowChecker({ python: 'python3', device, timeoutMs: 60_000 });
    return checker.check(path).finally(() => checker.close());
  };

  it('passes every value in the real checker (numpy)', async () => {
    // Act
    const report = await served('cpu');
    // Assess
    expect(report.gpus).toHaveLength(1);
    expect(report.gpus[0]).toMatchObject({ rowsChecked: 3, wrongRows: 0, wrongValues: 0 });
    expect(report.entriesChecked).toBe(KNOWN_HONEST.rows.length * KNOWN_HONEST.n);
  }, 60_000);

  it.skipIf(!cuda)(
    'passes every value in the real checker on the GPU (--device cuda)',
    async () => {
      // Act
      const report = await served('cuda');
      // Assess
      expect(report.device).toBe('cuda');
      expect(report.gpus.map((g) => [g.rowsChecked, g.wrongValues])).toEqual([[3, 0]]);
    },
    120_000,
  );

  it.skipIf(torch === null)(
    'passes every value in the CUDA path’s torch code, run on the CPU',
    () => {
      // Prepare
      const path = files.write('self-test-torch.pogb', knownHonestBundle());
      // Act
      const run = runRowCheck(path, ['--device', 'torch-cpu'], torch ?? '');
      // Assess
      expect(run.stderr).toBe('');
      expect(run.result?.gpus.map((g) => [g.rowsChecked, g.wrongValues])).toEqual([[3, 0]]);
    },
    60_000,
  );
});
