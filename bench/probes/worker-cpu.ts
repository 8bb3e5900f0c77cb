/**
 * Run as its own process by bench/worker-memory.ts: the worker's own CPU work in one attempt with a
 * proof of `gpus` GPUs at size `n` (17 rows each): the session's RSA key, then per GPU the proof
 * output parsed and validated (zod), every row decoded and its Merkle path checked against the root,
 * and the sampled entries recomputed, by the session's own functions. The rows are random bytes with a
 * consistent tree and correct values at the sampled columns (the draw is fixed), so every check runs
 * to the end as it does for an honest miner. Prints CPU milliseconds (user + system) of each part.
 */
import { randomBytes } from 'node:crypto';
import { generateSessionKeys } from '../../lib/pog/axon.js';
import {
  challengeExpectedEntry,
  challengeRowOfA,
  merkleLevels,
  merkleProof,
  sha256,
} from '../../lib/pog/math.js';
import { ProofSchema, parseMinerJson, verifyGpuProof } from '../../lib/pog/verify.js';

const [n, gpus] = process.argv.slice(2).map(Number) as [number, number];
const ROWS = 17;
const SAMPLED = [7, n - 3];
const seedA = 0x1234_5678_9abc_def0n;
const seedB = 0x0fed_cba9_8765_4321n;
const rows = Array.from({ length: ROWS }, (_, r) => (r * 7919 + 13) % n);

// Prepare (not timed): per GPU, the proof output a miner would print and the root it committed
const filler = sha256(Buffer.alloc(4 * n));
const proofs = Array.from({ length: gpus }, (_, gpu) => {
  const bytes = rows.map((i) => {
    const row = randomBytes(4 * n);
    const a = challengeRowOfA(seedA, n, i);
    for (const j of SAMPLED) row.writeFloatLE(challengeExpectedEntry(a, seedB, j), 4 * j);
    return row;
  });
  const leaves = Array.from({ length: n }, () => filler);
  rows.forEach((i, r) => {
    leaves[i] = sha256(bytes[r] as Buffer);
  });
  const levels = merkleLevels(leaves);
  const output = JSON.stringify({
    gpu,
    n,
    rows: rows.map((i, r) => ({
      i,
      row: (bytes[r] as Buffer).toString('base64'),
      proof: merkleProof(levels, i).map((h) => h.toString('hex')),
    })),
  });
  const top = levels.at(-1)?.[0];
  if (top === undefined) throw new Error('empty tree');
  return { gpu, output, root: top.toString('hex') };
});

const cpuMs = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};
// Act (timed)
let start = process.cpuUsage();
generateSessionKeys();
const keyMs = cpuMs(start);
start = process.cpuUsage();
let draws = 0;
const passed = proofs.map(({ gpu, output, root }) => {
  const response = parseMinerJson(output, ProofSchema, 'proof');
  const draw = () => SAMPLED[draws++ % SAMPLED.length] as number;
  return verifyGpuProof({ gpu, n, seedA, seedB, root, rows }, response, SAMPLED.length, draw).passed;
});
const proofMs = cpuMs(start);
if (!passed.every(Boolean)) throw new Error('probe proof did not verify: the probe is wrong');
process.stdout.write(JSON.stringify({ keyMs, proofMs }));
