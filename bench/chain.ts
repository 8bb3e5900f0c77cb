/**
 * Chain-layer figures on the spec-293 runtime in chopsticks: metagraph read of a 256-uid subnet
 * (target ≤ 500 ms) and submit-to-inclusion time of `set_weights`. Run alone: `npx tsx bench/chain.ts`.
 */
import { pathToFileURL } from 'node:url';
import {
  connectDevnet,
  newBlocks,
  type SeedNeuron,
  seedSubnet,
  setDevnetStorage,
  startDevnet,
} from '../harness/chain/devnet.js';
import { createChainPort } from '../lib/chain/index.js';

const NETUID = 1;
const N = 256;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

export async function run(): Promise<Record<string, string | number>> {
  const bootStart = performance.now();
  const devnet = await startDevnet();
  const bootMs = performance.now() - bootStart;
  const admin = await connectDevnet(devnet.endpoint);
  try {
    const neurons: SeedNeuron[] = Array.from({ length: N }, (_, uid) => ({
      hotkeyUri: uid === 0 ? '//Alice' : `//Bench${uid}`,
      stake: uid === 0 ? 10_000 : uid,
      validatorPermit: uid < 64,
      axon: { ip: `10.${uid >> 8}.${uid & 0xff}.1`, port: 8000 + uid, version: 190 },
    }));
    await seedSubnet(admin, {
      netuid: NETUID,
      neurons,
      hyperparams: { weightsRateLimit: 1, minAllowedWeights: 1 },
    });
    const chain = await createChainPort({
      endpoints: [devnet.endpoint],
      hotkeySecret: '//Alice',
      timeoutMs: 30_000,
    });
    try {
      const apiMs: number[] = [];
      const storageMs: number[] = [];
      let count = 0;
      for (let i = 0; i < 5; i++) {
        // a fresh head each round, so no read is served from a per-block cache
        await newBlocks(admin, 1);
        let t = performance.now();
        count = (await chain.metagraph(NETUID)).neurons.length;
        apiMs.push(performance.now() - t);
        t = performance.now();
        await chain.metagraph(NETUID, 'storage');
        storageMs.push(performance.now() - t);
      }
      const submitMs: number[] = [];
      const uids = Array.from({ length: N }, (_, i) => i);
      for (let i = 0; i < 3; i++) {
        await setDevnetStorage(admin, [{ item: 'LastUpdate', args: [NETUID], value: Array(N).fill(0) }]);
        const t = performance.now();
        await chain.submitWeights({ netuid: NETUID, uids, weights: uids.map((u) => (u * 7 + i) % 65536) });
        submitMs.push(performance.now() - t);
      }
      return {
        'chain.devnet_boot_ms': Math.round(bootMs),
        'chain.metagraph_uids': count,
        // the first read is cold (first runtime call compiles the wasm); the median is over fresh heads
        'chain.metagraph_256_runtime_api_first_ms': Math.round(apiMs[0] ?? Number.NaN),
        'chain.metagraph_256_runtime_api_median_ms': Math.round(median(apiMs)),
        'chain.metagraph_256_storage_median_ms': Math.round(median(storageMs)),
        'chain.submit_to_inclusion_256_median_ms': Math.round(median(submitMs)),
        'chain.runtime': 'subtensor spec 293 on chopsticks 1.5.1 (Instant blocks)',
      };
    } finally {
      await chain.close();
    }
  } finally {
    await admin.disconnect();
    await devnet.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then(
    (figures) => {
      for (const [k, v] of Object.entries(figures)) console.log(`${k}: ${v}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
