/**
 * Run as its own process by bench/worker-memory.ts: loads the worker's code (handler, pipeline, PoG
 * session, SDK clients) as the deployed bundle does, then takes one proof of `gpus` GPUs at size `n`
 * the way a session takes it (per GPU: the JSON output with base64 rows and hex paths, parsed and
 * decoded to float32) and encodes its bundle. Prints the resident set before and at peak.
 */
import { randomBytes } from 'node:crypto';
import '../../functions/worker/handler.js';
import '../../lib/clients/index.js';
import { bundleOf } from '../../lib/pipeline/worker.js';
import { encodeBundle } from '../../lib/pog/bundle.js';
import { proofLength } from '../../lib/pog/math.js';
import type { GpuProof } from '../../lib/pog/session.js';

const [n, gpus, rows] = process.argv.slice(2).map(Number) as [number, number, number];
const mb = (bytes: number) => bytes / 2 ** 20;
const baselineMb = mb(process.memoryUsage().rss);
const proofs: GpuProof[] = [];
for (let g = 0; g < gpus; g++) {
  const output = JSON.stringify({
    rows: Array.from({ length: rows }, (_, r) => ({
      i: r,
      row: randomBytes(4 * n).toString('base64'),
      proof: Array.from({ length: proofLength(n) }, () => randomBytes(32).toString('hex')),
    })),
  });
  const parsed = JSON.parse(output) as { rows: Array<{ i: number; row: string; proof: string[] }> };
  const values = parsed.rows.map((item) => {
    const bytes = Buffer.from(item.row, 'base64');
    const row = new Float32Array(n);
    for (let j = 0; j < n; j++) row[j] = bytes.readFloatLE(4 * j);
    return row;
  });
  proofs.push({
    gpu: g,
    seedA: 1n,
    seedB: 2n,
    root: '0'.repeat(64),
    rows: parsed.rows.map((r) => r.i),
    paths: parsed.rows.map((r) => r.proof),
    values,
  });
}
const bundle = encodeBundle(
  bundleOf(
    { netuid: 27, roundId: 'r', uid: 0, hotkey: '5Probe', axon: { ip: '8.8.8.8', port: 1, version: 1 } },
    1,
    {
      gpuName: 'NVIDIA H100 80GB HBM3',
      numGpus: gpus,
      n,
      gpus: proofs,
      timings: { benchmarkS: 1, computeS: 1, proofS: 1, t32: 1, n32: 1 },
      sampled: { passed: gpus, total: gpus, required: gpus },
    },
    new Date(),
  ),
);
process.stdout.write(
  JSON.stringify({
    baselineMb,
    peakMb: process.resourceUsage().maxRSS / 1024,
    bundleMb: mb(bundle.length),
  }),
);
