/**
 * Run as its own process by bench/worker-memory.ts: the worker's own CPU work in one attempt with a
 * proof of `gpus` GPUs at size `n` (17 rows each): the session's RSA key, then the session's proof
 * stage ({@link ProofTaker}, fed the stdout chunks as the SSH layer hands them over): split into lines, each parsed and validated (zod),
 * every row decoded and its Merkle path checked against the root, the sampled entries recomputed and
 * the rows kept as float32. The miner's output comes from bench/probes/miner-proof.ts (a proof that
 * verifies to the end). Prints CPU milliseconds (user + system) of each part.
 */
import { generateSessionKeys } from '../../lib/pog/axon.js';
import { ProofTaker } from '../../lib/pog/proof-output.js';
import { minerProof, sampledDraw } from './miner-proof.js';

const [n, gpus] = process.argv.slice(2).map(Number) as [number, number];

// Prepare (not timed): the proof command's output as the SSH layer hands it over
const input = minerProof(n, gpus, 17);

const cpuMs = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};
// Act (timed)
let start = process.cpuUsage();
generateSessionKeys();
const keyMs = cpuMs(start);
start = process.cpuUsage();
const taker = new ProofTaker(input.challenges, input.sampled.length, sampledDraw(input.sampled));
for (const chunk of input.stdout) taker.push(chunk);
const proof = taker.finish();
const proofMs = cpuMs(start);
if (proof.gpus.length !== gpus) throw new Error(`probe proof did not verify (${proof.reasons[0]})`);
process.stdout.write(JSON.stringify({ keyMs, proofMs }));
