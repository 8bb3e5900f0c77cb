import type { UidStat } from '../../../lib/ports.js';
import { formatSummaryTable } from '../../../lib/scoring/index.js';
import { readWeights } from '../../chain/devnet.js';
import type { CycleBehaviour } from '../miner-plan.js';
import { type CycleAws, type CycleContext, type CycleServers, NETUID } from './context.js';

export interface LocalMinerReport {
  readonly uid: number;
  readonly hotkey: string;
  readonly behaviour: CycleBehaviour;
  readonly gpu_name: string | null;
  readonly num_gpus: number | null;
  /** On 0-100, as the stats table holds it. */
  readonly score: number;
  /** Worker attempts behind the final row. */
  readonly attempts: number;
  readonly rowsChecked: number;
  readonly entriesChecked: number;
  /** Where the row check ran (`cpu` in the local cycle); null when no bundle reached the verifier. */
  readonly verifier: 'gpu' | 'cpu' | null;
  /** The failure reason; null when valid. */
  readonly reason: string | null;
}

export interface ReadBack {
  readonly miners: LocalMinerReport[];
  readonly chainWeights: { uids: number[]; weights: number[] };
  /** The stats table as the scoring dry run prints it. */
  readonly table: string;
  /** Miners with exactly one final row. */
  readonly resultsRecorded: number;
}

/** Stage `read back`: our validator's weights from the chain, then each miner's final row and score. */
export async function readBack(ctx: CycleContext, servers: CycleServers, aws: CycleAws): Promise<ReadBack> {
  const chainWeights = await ctx.clock.run('read back', () => readWeights(servers.api, NETUID, 0));
  const stats = await aws.stores.stats.readAll();
  const miners: LocalMinerReport[] = [];
  let resultsRecorded = 0;
  for (const [index, sim] of servers.sims.miners.entries()) {
    const uid = index + 1;
    const rows = await aws.stores.pogResults.rows(sim.hotkey);
    // exactly one final row per challenged miner: none is a lost result, two a duplicate
    resultsRecorded += rows.length === 1 ? 1 : 0;
    const newest = rows[0];
    miners.push({
      uid,
      hotkey: sim.hotkey,
      behaviour: servers.plan[index]?.behaviour ?? 'honest',
      gpu_name: newest?.gpuName ?? null,
      num_gpus: newest?.numGpus ?? null,
      score: stats[String(uid)]?.score ?? 0,
      attempts: newest?.attempts ?? 0,
      rowsChecked: newest?.rowsChecked ?? 0,
      entriesChecked: newest?.entriesChecked ?? 0,
      verifier: newest?.verifier === 'gpu' || newest?.verifier === 'cpu' ? newest.verifier : null,
      reason: newest?.error ?? null,
    });
  }
  const tableRows = new Map<number, UidStat>(
    Object.values(stats)
      .sort((a, b) => a.uid - b.uid)
      .map((row) => [row.uid, row]),
  );
  return { miners, chainWeights, table: formatSummaryTable(tableRows), resultsRecorded };
}
