import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import {
  connectDevnet,
  type SeedNeuron,
  seedSubnet,
  startDevnet,
  toAddress,
} from '../harness/chain/devnet.js';
import { emulatorEnv, startMoto } from '../harness/local/moto.js';
import { makeLocalResources } from '../harness/local/resources.js';
import { bundleHandler } from '../infra/bundling.js';
import { functionMemoryFromCdkJson } from '../infra/cost-settings.js';
import { heapLimitMb, nodeOptions } from '../infra/project-function.js';
import { EnvName } from '../lib/config/env-names.js';
import { PogResultStore } from '../lib/store/index.js';
import { signRunId } from '../lib/wandb/signature.js';
import { startWandbServer } from '../test/helpers/wandb-server.js';
import { clients as emulatorClientsOn } from '../test/integration/pipeline/fixtures.js';
import { bundleProbe, probeNode } from './probes/build.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const NETUID = 27;
const UIDS = 256;
/** Validators with a permit (uids 0..63, ours at 0); the other 63 publish signed runs on W&B. */
const VALIDATORS = 64;
const VALIDATOR_URI = '//BenchOwnValidator';
const INVOCATIONS = 3;
const GPUS = ['NVIDIA H100 80GB HBM3', 'NVIDIA H200', 'NVIDIA A100-SXM4-80GB'];

interface ProbeResult {
  readonly importMb: number;
  readonly invocations: ReadonlyArray<{ status: string; peakMb: number; heapUsedMb: number }>;
}

/**
 * Memory of the sync and weight Lambdas at the reference's scale: a 256-uid subnet on the real runtime
 * (chopsticks), 63 other validators' signed runs on the local W&B stand-in with stats for every uid,
 * 256 stored PoG results, tables and queues on moto. Each handler is bundled as the stack bundles it
 * and run in its own process under the deployed heap limit (half the function's memory in cdk.json),
 * with the environment the stack gives it (W&B on), for 3 invocations in one process as a warm
 * instance runs them: the resident high-water mark after the import and after each invocation.
 * The memory setting must stay above the peak. `BENCH_NODE` names the node that runs the handlers (the
 * Lambdas run Node 22).
 */
export async function run(): Promise<Record<string, string | number>> {
  const out = join(root, '.tmp', 'bench-lambda-memory');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await bundleHandler('sync', out, { sdkExternal: true });
  await bundleHandler('weights', out, { sdkExternal: true });
  const probe = await bundleProbe('handler-memory', out);
  const memory = functionMemoryFromCdkJson();

  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  const moto = await startMoto();
  const devnet = await startDevnet();
  const wandb = await startWandbServer({ apiKey: 'bench' });
  try {
    const validators = Array.from({ length: VALIDATORS }, (_, uid) =>
      keyring.addFromUri(uid === 0 ? VALIDATOR_URI : `//BenchValidator${uid}`),
    );
    const minerHotkeys = Array.from({ length: UIDS - VALIDATORS }, (_, i) => toAddress(`//BenchMiner${i}`));
    const neurons: SeedNeuron[] = [
      ...validators.map((pair, uid) => ({
        hotkey: pair.address,
        stake: uid === 0 ? 100_000 : 20_000,
        validatorPermit: true,
      })),
      // public addresses, as the deployed filter requires; nothing connects to them here
      ...minerHotkeys.map((hotkey, i) => ({
        hotkey,
        stake: 10,
        axon: { ip: `45.${i >> 8}.${i & 0xff}.7`, port: 8091, version: 190 },
      })),
    ];
    const admin = await connectDevnet(devnet.endpoint);
    try {
      await seedSubnet(admin, {
        netuid: NETUID,
        ownerHotkey: VALIDATOR_URI,
        neurons,
        hyperparams: { tempo: 360, weightsRateLimit: 1, minAllowedWeights: 1, maxWeightsLimit: 65_535 },
      });
    } finally {
      await admin.disconnect();
    }
    const stats: Record<string, unknown> = {};
    neurons.forEach((neuron, uid) => {
      stats[String(uid)] = {
        uid,
        hotkey: neuron.hotkey,
        gpu_specs: uid < VALIDATORS ? null : { gpu_name: GPUS[uid % GPUS.length], num_gpus: 8 },
        score: uid < VALIDATORS ? 0 : 40 + (uid % 50),
        allocated: uid % 16 === 0,
        own_score: true,
        reliability_score: 0,
        created_at: '2026-01-01 00:00:00',
      };
    });
    for (const [uid, pair] of validators.entries()) {
      if (uid === 0) continue;
      const runId = `bench${String(uid).padStart(3, '0')}`;
      wandb.addRun({
        name: runId,
        config: {
          hotkey: pair.address,
          role: 'validator',
          version: 190,
          config: { netuid: NETUID },
          allocated_hotkeys: minerHotkeys.filter((_, i) => i % 16 === uid % 16),
          stats,
          signature: signRunId(pair, runId),
        },
      });
    }

    const clients = emulatorClientsOn(moto.endpoint);
    const resources = await makeLocalResources(clients, moto.endpoint, 'bench-memory', {
      hotkeySecret: VALIDATOR_URI,
      verificationVisibilityS: 60,
    });
    const wandbKey = await clients.secrets.send(
      new CreateSecretCommand({ Name: 'bench-memory-wandb', SecretString: 'bench' }),
    );
    const results = new PogResultStore(clients.doc, resources.tables.pogResults);
    for (const [i, hotkey] of minerHotkeys.entries()) {
      await results.record({
        hotkey,
        uid: VALIDATORS + i,
        roundId: 'bench',
        gpuName: GPUS[i % GPUS.length] ?? null,
        numGpus: 8,
        attempts: 1,
        durationMs: 1,
      });
    }

    const common: Record<string, string> = {
      ...emulatorEnv(moto.endpoint),
      [EnvName.TablePogResults]: resources.tables.pogResults,
      [EnvName.TableStats]: resources.tables.stats,
      [EnvName.TableMiners]: resources.tables.miners,
      [EnvName.TableAudit]: resources.tables.audit,
      [EnvName.TableCoordination]: resources.tables.coordination,
      [EnvName.Netuid]: String(NETUID),
      [EnvName.ChainEndpoints]: devnet.endpoint,
      [EnvName.ValidatorHotkey]: validators[0]?.address ?? '',
      [EnvName.WandbEnabled]: 'true',
      [EnvName.WandbApiKeySecretArn]: wandbKey.ARN ?? '',
      [EnvName.WandbBaseUrl]: wandb.url,
      [EnvName.WandbAllowInsecureHttp]: 'true',
      [EnvName.WandbEntity]: wandb.entity,
      [EnvName.WandbProject]: wandb.project,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_DISABLED: 'true',
      NODE_NO_WARNINGS: '1',
    };
    const figures: Record<string, string | number> = {};
    const node = probeNode();
    figures['probe node'] = node.version;
    const probeRun = async (
      name: 'sync' | 'weights',
      memoryMb: number,
      env: Record<string, string>,
      event: unknown,
    ): Promise<void> => {
      const resultFile = join(out, `${name}.json`);
      // not spawnSync: the W&B stand-in answers from this process's event loop
      const child = await promisify(execFile)(
        node.path,
        [
          ...nodeOptions(memoryMb).split(' '),
          probe,
          join(out, `${name}.mjs`),
          JSON.stringify(event),
          String(INVOCATIONS),
          resultFile,
        ],
        {
          env: { PATH: process.env.PATH ?? '', ...common, ...env },
          encoding: 'utf8',
          timeout: 600_000,
          maxBuffer: 64 * 2 ** 20,
        },
      );
      // the handler's own log lines, for a run that ends in an unexpected status
      writeFileSync(join(out, `${name}.log`), child.stdout + child.stderr);
      const result = JSON.parse(readFileSync(resultFile, 'utf8')) as ProbeResult;
      figures[`${name}: memory setting MB; heap limit MB`] = `${memoryMb}; ${heapLimitMb(memoryMb)}`;
      figures[`${name}: RSS after the import (cold start), MB`] = result.importMb.toFixed(0);
      // what the handler did: a W&B read that was not complete would measure less than the real work
      const reads = [
        ...child.stdout.matchAll(
          /"message":"wandb state read".*?"status":"(\w+)","runsRead":(\d+),"runsAccepted":(\d+)/g,
        ),
      ];
      figures[`${name}: W&B reads (status, runs read, accepted)`] =
        reads.map((m) => `${m[1]} ${m[2]}/${m[3]}`).join(', ') || 'none';
      for (const [i, inv] of result.invocations.entries()) {
        figures[`${name}: invocation ${i + 1} (${inv.status}): peak RSS MB; heap used MB`] =
          `${inv.peakMb.toFixed(0)}; ${inv.heapUsedMb.toFixed(0)}`;
      }
    };
    await probeRun(
      'sync',
      memory.SyncFunction,
      {
        [EnvName.ChallengeQueueUrl]: resources.queueUrl,
        [EnvName.VerificationQueueUrl]: resources.verificationQueueUrl,
        [EnvName.VerifierJobQueue]: resources.jobQueue,
        [EnvName.VerifierJobDefinition]: resources.jobDefinition,
        [EnvName.PogMaxJitterSeconds]: '0',
      },
      { source: 'aws.events', 'detail-type': 'Scheduled Event' },
    );
    await probeRun('weights', memory.WeightsFunction, { [EnvName.HotkeySecretArn]: resources.secretArn }, {});
    figures.scale =
      `${UIDS} uids (${VALIDATORS} validators, ${UIDS - VALIDATORS} miners with results), ` +
      `${VALIDATORS - 1} W&B runs × ${UIDS} stats`;
    return figures;
  } finally {
    await wandb.stop();
    await devnet.stop();
    await moto.stop();
  }
}
