/**
 * lib/wandb figures: a full `read` against the local W&B stand-in (64 signed validator runs, 256
 * stats entries each, 2 pages; first read verifies every signature, warm reads hit the memo),
 * signature checks per second, and the pure consensus step alone.
 * Runnable alone: `npx tsx bench/wandb.ts`.
 */
import { pathToFileURL } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { parseWandbConfig } from '../lib/config/wandb.js';
import { consensusStats } from '../lib/wandb/consensus.js';
import { signRunId, verifyRunSignature } from '../lib/wandb/signature.js';
import { createWandbState } from '../lib/wandb/state.js';
import { startWandbServer } from '../test/helpers/wandb-server.js';

const VALIDATORS = 64;
const UIDS = 256;
const GPUS = ['NVIDIA H100 80GB HBM3', 'NVIDIA H200', 'NVIDIA A100-SXM4-80GB'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function run(): Promise<Record<string, string | number>> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  const pairs = Array.from({ length: VALIDATORS }, (_, i) => keyring.addFromUri(`//BenchValidator${i}`));
  const server = await startWandbServer({ apiKey: 'bench' });
  try {
    const allStats: Array<Record<string, unknown>> = [];
    pairs.forEach((pair, v) => {
      const runId = `bench${String(v).padStart(3, '0')}`;
      const stats: Record<string, unknown> = {};
      for (let uid = 0; uid < UIDS; uid++) {
        const gpu = GPUS[(uid + (v % 5 === 0 ? 1 : 0)) % GPUS.length] as string;
        stats[String(uid)] = {
          uid,
          hotkey: `5Miner${uid}`,
          gpu_specs: { gpu_name: gpu, num_gpus: 8 },
          score: 40 + (uid % 50),
          allocated: uid % 4 === 0,
          own_score: true,
          reliability_score: 0,
          created_at: '2026-01-01 00:00:00',
        };
      }
      allStats.push(stats);
      server.addRun({
        name: runId,
        config: {
          hotkey: pair.address,
          role: 'validator',
          version: 190,
          config: { netuid: 27 },
          allocated_hotkeys: [`5Miner${v}`],
          stats,
          signature: signRunId(pair, runId),
        },
      });
    });
    const metagraph = {
      netuid: 27,
      block: 1,
      neurons: pairs.map((pair, uid) => ({
        uid,
        hotkey: pair.address,
        coldkey: pair.address,
        axon: null,
        stake: 20_000,
        validatorPermit: true,
        active: true,
        lastUpdate: 0,
      })),
    };
    const wandb = createWandbState({
      config: parseWandbConfig({ baseUrl: server.url, allowInsecureHttp: true }),
      apiKey: 'bench',
    });

    const readMs: number[] = [];
    const firstStarted = performance.now();
    let last = await wandb.read(metagraph);
    const firstMs = performance.now() - firstStarted;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      last = await wandb.read(metagraph);
      readMs.push(performance.now() - started);
    }

    const signature = signRunId(pairs[0] as (typeof pairs)[number], 'bench000');
    const verifyStarted = performance.now();
    const verifications = 200;
    for (let i = 0; i < verifications; i++) verifyRunSignature('bench000', pairs[0]?.address, signature);
    const verifyPerSecond = verifications / ((performance.now() - verifyStarted) / 1000);

    const consensusMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      consensusStats(allStats.map((stats) => ({ stats })));
      consensusMs.push(performance.now() - started);
    }
    const responseBytes = JSON.stringify(server.runs.map((r) => r.config)).length;

    return {
      'wandb.read.validators': VALIDATORS,
      'wandb.read.statsPerRun': UIDS,
      'wandb.read.pages': Math.ceil(VALIDATORS / 50),
      'wandb.read.configBytesTotal': responseBytes,
      'wandb.read.firstMs': Number(firstMs.toFixed(1)),
      'wandb.read.warmMedianMs': Number(median(readMs).toFixed(1)),
      'wandb.read.status': last.meta.status,
      'wandb.read.statsAllocated': Object.keys(last.statsAllocated).length,
      'wandb.verify.perSecond': Math.round(verifyPerSecond),
      'wandb.consensus.medianMs': Number(median(consensusMs).toFixed(2)),
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then(
    (figures) => console.log(JSON.stringify(figures, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
