/**
 * Run as its own process by bench/worker-memory.ts: loads the worker's code (handler, pipeline, PoG
 * session, SDK clients) as the deployed bundle does, then takes a proof stage of `gpus` GPUs at size
 * `n` that the bench wrote (bench/probes/miner-proof.ts) through the session's own proof stage
 * ({@link ProofTaker}), the miner's output handed over chunk by chunk as the SSH layer receives it
 * (the session never holds it whole), and encodes its bundle as the worker does. Prints the resident
 * set after loading the code, the output's size and the high-water mark at the end.
 */
import '../../functions/worker/handler.js';
import '../../lib/clients/index.js';
import { bundleOf } from '../../lib/pipeline/worker.js';
import { encodeBundle } from '../../lib/pog/bundle.js';
import { ProofTaker } from '../../lib/pog/proof-output.js';
import { sampledDraw, streamMinerProof } from './miner-proof.js';
import { maxRssMb } from './rss.js';

const [file = ''] = process.argv.slice(2);
const mb = (bytes: number) => bytes / 2 ** 20;
const baselineMb = mb(process.memoryUsage().rss);
const input = streamMinerProof(file);
const gpus = input.challenges.length;
const n = input.challenges[0]?.n ?? 0;
const taker = new ProofTaker(input.challenges, input.sampled.length, sampledDraw(input.sampled));
const outputMb = mb(input.stream((chunk) => taker.push(chunk)));
const proof = taker.finish();
if (proof.gpus.length !== gpus) throw new Error(`probe proof did not verify (${proof.reasons[0]})`);
const bundle = encodeBundle(
  bundleOf(
    { netuid: 27, roundId: 'r', uid: 0, hotkey: '5Probe', axon: { ip: '8.8.8.8', port: 1, version: 1 } },
    1,
    {
      gpuName: 'NVIDIA H100 80GB HBM3',
      numGpus: gpus,
      n,
      gpus: proof.gpus,
      timings: { benchmarkS: 1, computeS: 1, proofS: 1, t32: 1, n32: 1 },
      sampled: { passed: gpus, total: gpus, required: gpus },
    },
    new Date(),
  ),
);
process.stdout.write(
  JSON.stringify({
    baselineMb,
    outputMb,
    peakMb: maxRssMb(),
    bundleMb: mb(bundle.length),
  }),
);
