import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { KeyringPair } from '@polkadot/keyring/types';
import { startMoto } from '../harness/local/moto.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../lib/config/gpu-performance.js';
import { createOwnRunPublisher } from '../lib/pipeline/publish-run.js';
import { runWeights, type WeightsDeps } from '../lib/pipeline/weights.js';
import type { Metagraph } from '../lib/ports.js';
import {
  AuditStore,
  CoordinationStore,
  MinerStore,
  PogResultStore,
  StatsStore,
  WandbRunStore,
} from '../lib/store/index.js';
import { createWandbState, parseWandbConfig } from '../lib/wandb/index.js';
import { startWandbServer } from '../test/helpers/wandb-server.js';
import {
  clients,
  makeTables,
  metagraph,
  StubChain,
  WEIGHTS_OPTIONS,
} from '../test/integration/pipeline/fixtures.js';
import { makeKeys, statEntry, validatorConfig } from '../test/integration/wandb/fixtures.js';

/**
 * What W&B costs the weight tick: one tick on moto with W&B off, then on (cold service: every run's
 * signature checked; warm: memoised) against the local W&B server holding 16 validator runs of
 * 256 stats each, our run published in the same tick.
 */
const VALIDATORS = 16;
const API_KEY = 'bench-key';
const OPTIONS = WEIGHTS_OPTIONS;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export async function run(): Promise<Record<string, string | number>> {
  const moto = await startMoto();
  const server = await startWandbServer({ apiKey: API_KEY });
  try {
    const keys = (await makeKeys(
      ...Array.from({ length: VALIDATORS + 1 }, (_, i) => `BenchV${i}`),
    )) as KeyringPair[];
    const [ours, ...others] = keys as [KeyringPair, ...KeyringPair[]];
    const mg: Metagraph = metagraph(256, 50_000, (uid) =>
      uid < keys.length ? { hotkey: keys[uid]?.address ?? '', stake: 20_000, axon: null } : {},
    );
    for (const [i, pair] of others.entries()) {
      const stats: Record<string, unknown> = {};
      for (let uid = keys.length; uid < 256; uid++) {
        stats[String(uid)] = statEntry(
          uid,
          `5Hotkey${String(uid).padStart(4, '0')}`,
          'NVIDIA H100 80GB HBM3',
          8,
          66,
          {
            allocated: uid % VALIDATORS === i,
          },
        );
      }
      const runId = `bench${String(i).padStart(3, '0')}`;
      server.addRun({ name: runId, config: validatorConfig({ pair, runId, stats, allocated: [] }) });
    }
    const c = clients(moto.endpoint);
    const t = await makeTables(c.ddb, `wandbwire${Date.now().toString(36)}`);
    const pog = new PogResultStore(c.doc, t.pogResults);
    for (let uid = keys.length; uid < keys.length + 64; uid++) {
      const hotkey = mg.neurons[uid]?.hotkey ?? '';
      await pog.record({
        hotkey,
        uid,
        roundId: 'r1',
        gpuName: 'NVIDIA A100 80GB PCIe',
        numGpus: 1,
        attempts: 1,
        durationMs: 1,
      });
    }
    const miners = new MinerStore(c.doc, t.miners);
    await miners.putHotkeys(mg.neurons.map((n) => ({ uid: n.uid, hotkey: n.hotkey })));
    const base: WeightsDeps = {
      chain: new StubChain(mg),
      pogResults: pog,
      stats: new StatsStore(c.doc, t.stats),
      coordination: new CoordinationStore(c.doc, t.coordination),
      audit: new AuditStore(c.doc, t.audit),
      performance: DEFAULT_PERFORMANCE_CONFIG,
    };
    const wired = (): WeightsDeps => {
      const wandb = createWandbState({
        config: parseWandbConfig({
          baseUrl: server.url,
          allowInsecureHttp: true,
          trustedPenaltyValidators: [others[0]?.address ?? ''],
        }),
        apiKey: API_KEY,
      });
      const publisher = createOwnRunPublisher({
        wandb,
        signer: ours,
        miners,
        runIds: new WandbRunStore(c.doc, t.coordination),
      });
      return { ...base, external: wandb, publisher };
    };
    const tick = async (deps: WeightsDeps) => {
      const started = performance.now();
      const out = await runWeights(deps, { ...OPTIONS, validatorHotkey: ours.address });
      if (out.status !== 'submitted') throw new Error(`tick ${out.status}`);
      return { ms: performance.now() - started, out };
    };
    await tick(base); // warm the SDK clients and moto
    const off: number[] = [];
    for (let i = 0; i < 3; i++) off.push((await tick(base)).ms);
    const deps = wired();
    const before = server.requests.length;
    const cold = await tick(deps);
    const coldRequests = server.requests.length - before;
    const warm: number[] = [];
    let warmRequests = 0;
    for (let i = 0; i < 3; i++) {
      const n = server.requests.length;
      warm.push((await tick(deps)).ms);
      warmRequests = server.requests.length - n;
    }
    const ourRun = server.runs.find((r) => r.displayName === `validator-${ours.address}`);
    return {
      'validator runs read': VALIDATORS,
      'weights tick ms, W&B off (median of 3)': Number(median(off).toFixed(1)),
      'weights tick ms, W&B on, cold service (16 signatures checked, run looked up and created)': Number(
        cold.ms.toFixed(1),
      ),
      'weights tick ms, W&B on, warm (median of 3)': Number(median(warm).toFixed(1)),
      'W&B requests, cold tick': coldRequests,
      'W&B requests, warm tick': warmRequests,
      'W&B read status': cold.out.status === 'submitted' ? String(cold.out.external?.status) : '-',
      'published run config KB': Math.round(JSON.stringify(ourRun?.config ?? {}).length / 1024),
    };
  } finally {
    await server.stop();
    await moto.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [key, value] of Object.entries(await run())) console.log(`${key}: ${value}`);
}
