import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { costSettingsFromCdkJson } from '../infra/cost-settings.js';
import { workerNodeOptions } from '../infra/lambdas.js';
import { parsePogEngineConfig } from '../lib/pog/config.js';
import { bundleProbe, probeNode } from './probes/build.js';
import { minerProof, writeMinerProof } from './probes/miner-proof.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Worker memory: the resident set of a process holding the worker's deployed entry and its derived
 * hotkey (bench/probes/worker-memory.ts), after it took a proof of 17 rows per GPU at n = 29 280 (the
 * H100's n) from 8 GPUs (the largest common box) and from the most GPUs a session accepts (the engine's
 * `maxGpus`) through the session's own proof stage (stdout chunks, as they arrive, to checked float32
 * rows), encoded its bundle and put it to S3 over HTTPS (a local TLS sink: Node's TLS layer is where a
 * one-buffer put raised the peak); a small size for contrast. The probe is bundled with the handlers'
 * build options (as the Lambda's code is) and run by plain node under the worker's own NODE_OPTIONS
 * (infra/lambdas.ts), so neither tsx nor vitest is counted. `BENCH_NODE` names another node binary (the
 * Lambda runs Node 22). The Lambda's memory setting (infra) must leave room above the peak. Then the
 * worker's own CPU time for the largest proof (bench/probes/worker-cpu.ts), under the same flags.
 */
export async function run(): Promise<Record<string, string | number>> {
  const out = join(root, '.tmp', 'bench-worker-memory');
  mkdirSync(out, { recursive: true });
  const file = await bundleProbe('worker-memory', out);
  const cpuProbe = await bundleProbe('worker-cpu', out);
  const sink = await startTlsSink(out);
  const probeEnv = { ...process.env, ...sink.env };
  try {
    return await measure(out, file, cpuProbe, probeEnv);
  } finally {
    sink.process.kill();
  }
}

async function measure(
  out: string,
  file: string,
  cpuProbe: string,
  probeEnv: NodeJS.ProcessEnv,
): Promise<Record<string, string | number>> {
  const figures: Record<string, string | number> = {};
  const maxGpus = parsePogEngineConfig().maxGpus;
  // the deployed worker's flags for its memory setting in cdk.json
  const memoryMb = costSettingsFromCdkJson().workerMemoryMb;
  const flags = workerNodeOptions(memoryMb).split(' ');
  const node = probeNode();
  figures['worker memory setting (cdk.json), MB; probe node and NODE_OPTIONS'] =
    `${memoryMb}; ${node.version} ${flags.join(' ')}`;
  for (const [n, gpus] of [
    [1_024, 1],
    [29_280, 8],
    [29_280, maxGpus],
  ] as const) {
    // built here: in the probe, building it would leave more garbage than the worker's part
    const input = join(out, `proof-${n}-${gpus}.out`);
    writeMinerProof(input, minerProof(n, gpus, 17));
    const probe = (put: 'pieces' | 'whole') => {
      const result = spawnSync(node.path, [...flags, file, input], {
        encoding: 'utf8',
        env: { ...probeEnv, PROBE_PUT: put },
      });
      if (result.status !== 0) throw new Error(`probe failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as {
        baselineMb: number;
        outputMb: number;
        beforePutMb: number;
        peakMb: number;
        bundleMb: number;
      };
    };
    const m = probe('pieces');
    // the old whole-buffer put, for contrast, at the largest size only
    const whole = gpus === maxGpus ? probe('whole') : undefined;
    rmSync(input);
    rmSync(`${input}.json`);
    const label = `n=${n}, ${gpus} GPU(s)`;
    figures[`${label}: RSS after loading the worker's entry and deriving its key, MB`] =
      m.baselineMb.toFixed(0);
    figures[
      `${label}: peak RSS with the proof taken as it arrives (${m.outputMb.toFixed(1)} MB) and its bundle, MB`
    ] = m.beforePutMb.toFixed(0);
    figures[`${label}: peak RSS once the bundle is put over HTTPS, MB`] = m.peakMb.toFixed(0);
    if (whole !== undefined)
      figures[`${label}: the same, the bundle put as one buffer (before), MB`] = whole.peakMb.toFixed(0);
    figures[`${label}: bundle MB`] = m.bundleMb.toFixed(1);
  }
  // the worker's own CPU work for the largest proof (best of 3: the machine is shared); Lambda gives a
  // function CPU in proportion to its memory (a full vCPU at 1 769 MB)
  const cpu = [0, 1, 2].map(() => {
    const result = spawnSync(node.path, [...flags, cpuProbe, '29280', String(maxGpus)], {
      encoding: 'utf8',
      env: probeEnv,
    });
    if (result.status !== 0) throw new Error(`cpu probe failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as { keyMs: number; proofMs: number };
  });
  const label = `n=29280, ${maxGpus} GPU(s): CPU ms`;
  figures[`${label}, session RSA key`] = Math.min(...cpu.map((c) => c.keyMs)).toFixed(0);
  figures[`${label}, proof output taken (lines, JSON, Merkle, sampled entries, float32)`] = Math.min(
    ...cpu.map((c) => c.proofMs),
  ).toFixed(0);
  return figures;
}

/**
 * A self-signed certificate for 127.0.0.1 (openssl) and the TLS sink serving it; the variables that
 * point a probe's S3 client at it and make its Node trust the certificate.
 */
async function startTlsSink(
  out: string,
): Promise<{ readonly process: ChildProcess; readonly env: Record<string, string> }> {
  const key = join(out, 'sink-key.pem');
  const cert = join(out, 'sink-cert.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0)
    throw new Error(`openssl could not make the sink's certificate: ${made.stderr || made.error}`);
  const sinkFile = await bundleProbe('tls-sink', out);
  const child = spawn(process.execPath, [sinkFile, key, cert], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`TLS sink exited (${code})`)));
    child.stdout?.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  return {
    process: child,
    env: {
      AWS_ENDPOINT_URL_S3: `https://127.0.0.1:${port}`,
      NODE_EXTRA_CA_CERTS: cert,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'probe',
      AWS_SECRET_ACCESS_KEY: 'probe',
    },
  };
}
