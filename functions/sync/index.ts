import { createChainPort } from '../../lib/chain/index.js';
import { createDynamoDocumentClient, createSqsClient } from '../../lib/clients/index.js';
import { loadEnv, SyncEnvSchema } from '../../lib/config/env.js';
import { createLogger, createMetrics } from '../../lib/observability/index.js';
import type { SyncDeps } from '../../lib/pipeline/sync.js';
import { LockStore, MinerStore, PogResultStore, StatsStore } from '../../lib/store/index.js';
import { buildSyncHandler } from './handler.js';

const env = loadEnv(SyncEnvSchema);
const doc = createDynamoDocumentClient();
let deps: Promise<SyncDeps> | undefined;

export const handler = buildSyncHandler({
  getDeps: () => {
    deps ??= createChainPort({ endpoints: env.CHAIN_ENDPOINTS, timeoutMs: env.CHAIN_TIMEOUT_MS }).then(
      (chain) => ({
        chain,
        sqs: createSqsClient(),
        queueUrl: env.CHALLENGE_QUEUE_URL,
        miners: new MinerStore(doc, env.TABLE_MINERS),
        pogResults: new PogResultStore(doc, env.TABLE_POG_RESULTS),
        stats: new StatsStore(doc, env.TABLE_STATS),
        locks: new LockStore(doc, env.TABLE_LOCKS),
      }),
    );
    // a failed connection must not be cached for the container's life
    deps.catch(() => {
      deps = undefined;
    });
    return deps;
  },
  options: {
    netuid: env.NETUID,
    blacklistHotkeys: env.BLACKLIST_HOTKEYS,
    blacklistColdkeys: env.BLACKLIST_COLDKEYS,
    dedupeIps: env.DEDUPE_IPS,
    minMinerVersion: env.MIN_MINER_VERSION,
    versionFilterThresholdPercent: env.VERSION_FILTER_THRESHOLD_PERCENT,
    pogIntervalBlocks: env.POG_INTERVAL_BLOCKS,
    maxJitterSeconds: env.POG_MAX_JITTER_SECONDS,
    roundTimeoutSeconds: env.POG_ROUND_TIMEOUT_SECONDS,
  },
  logger: createLogger('sync'),
  metrics: createMetrics('sync'),
});
