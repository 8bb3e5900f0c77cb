/**
 * Run as its own process by bench/worker-memory.ts: loads the worker's deployed entry
 * (functions/worker/index.ts: handler, pipeline, PoG session, every SDK client it builds, the GPU tables)
 * under the environment a deployed worker has (names only: nothing is called at load; the GPU tables are
 * the embedded default, not the live parameter), derives the validator hotkey from a mnemonic and signs
 * with it, as the runner does once per container before its first attempt, then takes a proof stage of
 * `gpus` GPUs at size `n` that the bench wrote (bench/probes/miner-proof.ts) through the session's own proof
 * stage ({@link ProofTaker}), the miner's output handed over chunk by chunk as the SSH layer receives it
 * (the session never holds it whole), encodes its bundle and puts it to S3 as the worker does, over
 * HTTPS to bench/probes/tls-sink.ts (`AWS_ENDPOINT_URL_S3`, trusted through `NODE_EXTRA_CA_CERTS`).
 * `PROBE_PUT=whole` puts the bundle as one buffer instead, as the worker did before, for contrast.
 * Prints the resident set after loading the code and the key, the output's size and the high-water marks
 * before the upload and at the end.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadHotkeyPair } from '../../lib/clients/secrets.js';
import { EnvName } from '../../lib/config/env-names.js';
import { bundleOf } from '../../lib/pipeline/worker.js';
import { encodeBundle } from '../../lib/pog/bundle.js';
import { ProofTaker } from '../../lib/pog/proof-output.js';
import { putBundle } from '../../lib/store/bundles.js';
import { sampledDraw, streamMinerProof } from './miner-proof.js';
import { maxRssMb } from './rss.js';

const [file = ''] = process.argv.slice(2);
const mb = (bytes: number) => bytes / 2 ** 20;
// as functions/worker/index.ts builds it (path style: the sink's endpoint is an address, not a name)
const s3 = new S3Client({ forcePathStyle: true });
// what the stack sets on the worker (infra/bind.ts), so that its entry loads as deployed
Object.assign(process.env, {
  [EnvName.TablePogResults]: 'probe-pog-results',
  [EnvName.TableCoordination]: 'probe-coordination',
  [EnvName.Netuid]: '27',
  [EnvName.HotkeySecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:probe',
  [EnvName.ChallengeQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/probe-challenges',
  [EnvName.ChallengeDlqUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/probe-challenges-dlq',
  [EnvName.VerificationQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/000000000000/probe-verification',
  [EnvName.BundleBucket]: 'probe',
  [EnvName.VerifierJobQueue]: 'probe-verifier',
  [EnvName.VerifierJobDefinition]: 'probe-verifier',
});
await import('../../functions/worker/index.js');
// Substrate's public development mnemonic: the key's derivation, not its value, is what costs memory
const pair = await loadHotkeyPair('bottom drive obey lake curtain smoke basket hold race lonely fit walk');
pair.sign(new Uint8Array(64));
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
const beforePutMb = maxRssMb();
if (process.env.PROBE_PUT === 'whole') {
  await s3.send(new PutObjectCommand({ Bucket: 'probe', Key: 'bundle', Body: bundle }));
} else {
  await putBundle(s3, 'probe', 'bundle', bundle);
}
process.stdout.write(
  JSON.stringify({
    baselineMb,
    outputMb,
    beforePutMb,
    peakMb: maxRssMb(),
    bundleMb: mb(bundle.length),
  }),
);
