import { asError } from '../errors.js';
import type { Log } from '../log.js';
import type { GpuSpecs, Metagraph, UidStat } from '../ports.js';
import type { MinerStore } from '../store/miners.js';
import type { WandbRunStore } from '../store/wandb-runs.js';
import type { PublishRunInput, PublishRunResult } from '../wandb/publish.js';
import type { RunSigner } from '../wandb/signature.js';

/** Publishes our validator run after a scoring pass. */
export interface OwnRunPublisher {
  /** Never throws: a failure comes back as `{status: 'failed', error}`. */
  publish(input: OwnRunInput): Promise<PublishRunResult>;
}

export interface OwnRunInput {
  readonly netuid: number;
  readonly metagraph: Metagraph;
  /** The stats the scoring pass wrote, keyed by uid. */
  readonly stats: Readonly<Record<string, UidStat>>;
}

export interface OwnRunPublisherDeps {
  readonly wandb: { publish(input: PublishRunInput): Promise<PublishRunResult> };
  readonly signer: RunSigner;
  readonly miners: Pick<MinerStore, 'readAll'>;
  readonly runIds: Pick<WandbRunStore, 'get' | 'put'>;
  readonly logger?: Log;
}

function gpuSpecs(value: UidStat['gpu_specs']): GpuSpecs | null {
  if (value === null || typeof value !== 'object') return null;
  const { gpu_name, num_gpus } = value as Record<string, unknown>;
  if (typeof gpu_name !== 'string' || gpu_name === '') return null;
  if (typeof num_gpus !== 'number' || !Number.isInteger(num_gpus) || num_gpus < 0) return null;
  return { gpu_name, num_gpus };
}

const finite = (x: number, min: number, max: number) =>
  Number.isFinite(x) ? Math.min(max, Math.max(min, x)) : 0;

/**
 * Our stats in the published shape (§6.1). As the reference's `update_allocated_hotkeys` does,
 * `allocated` is rewritten from the local allocation table, so only the validator that allocated a
 * miner vouches for it in the consensus (§6.3); specs that are not `{gpu_name, num_gpus}` go as null.
 */
export function toPublishedStats(
  stats: Readonly<Record<string, UidStat>>,
  allocated: ReadonlySet<string>,
): Record<string, UidStat> {
  const out: Record<string, UidStat> = {};
  for (const [uid, stat] of Object.entries(stats)) {
    out[uid] = {
      hotkey: stat.hotkey,
      gpu_specs: gpuSpecs(stat.gpu_specs),
      score: finite(stat.score, 0, 100),
      allocated: allocated.has(stat.hotkey),
      own_score: stat.own_score,
      reliability_score: finite(stat.reliability_score, -1e9, 1e9),
    };
  }
  return out;
}

/**
 * Builds the publisher of our W&B run: allocated hotkeys from the local miners table (rows whose
 * hotkey is still the metagraph's), stats as scored, the run id persisted across cold starts.
 * Publishing never throws and never blocks the weights; failures are logged by lib/wandb.
 */
export function createOwnRunPublisher(deps: OwnRunPublisherDeps): OwnRunPublisher {
  const warn = (message: string, error: unknown) =>
    deps.logger?.warn(message, { error: `${asError(error).name}: ${asError(error).message}` });
  return {
    async publish({ netuid, metagraph, stats }) {
      const hotkey = deps.signer.address;
      let allocated: Set<string>;
      try {
        const registered = new Map(metagraph.neurons.map((n) => [n.uid, n.hotkey]));
        allocated = new Set<string>();
        for (const [uid, row] of await deps.miners.readAll()) {
          if (row.allocated && registered.get(uid) === row.hotkey) allocated.add(row.hotkey);
        }
      } catch (error) {
        // publishing without our allocation list would withdraw our allocations from the consensus
        warn('wandb publish skipped: the miners table could not be read', error);
        return { status: 'failed', error: 'miners table unreadable' };
      }
      const stored = await deps.runIds.get(netuid, hotkey).catch((error: unknown) => {
        warn('wandb run id not read; looking it up on W&B', error);
        return undefined;
      });
      const result = await deps.wandb.publish({
        netuid,
        signer: deps.signer,
        allocatedHotkeys: [...allocated].sort(),
        stats: toPublishedStats(stats, allocated),
        ...(stored === undefined ? {} : { runId: stored }),
      });
      if (result.status === 'published' && result.runId !== undefined && result.runId !== stored) {
        await deps.runIds.put(netuid, hotkey, result.runId).catch((error: unknown) => {
          warn('wandb run id not saved; the next cold start looks it up again', error);
        });
      }
      return result;
    },
  };
}
