import { createChainHolder } from '../../lib/chain/index.js';
import {
  createBatchClient,
  createDynamoDocumentClient,
  createSecretsClient,
  createSqsClient,
} from '../../lib/clients/index.js';
import { readWandbApiKey } from '../../lib/clients/secrets.js';
import { loadEnv, queryableOptionsFromEnv, SyncEnvSchema, wandbConfigFromEnv } from '../../lib/config/env.js';
import { createLogger, createMetrics } from '../../lib/observability/index.js';
import { CoordinationStore, MinerStore, PogResultStore, StatsStore } from '../../lib/store/index.js';
import { deferredWandbState } from '../../lib/wandb/deferred.js';
import { createWandbState, type WandbStateService } from '../../lib/wandb/state.js';
import { buildSyncHandler } from './handler.js';

const env = loadEnv(SyncEnvSchema);
const wandbConfig = wandbConfigFromEnv(env);
const doc = createDynamoDocumentClient();
const logger = createLogger('sync');
const metrics = createMetrics('sync');

/**
 * The sync only reads W&B, for the allocated-hotkeys union (allocated miners are not challenged,
 * §4.1), and only when a round is due. It does not publish: our stats are produced by the weight
 * run, which publishes them signed with the hotkey; the sync holds no hotkey and has no new stats.
 */
function wandbReader(keyArn: string | undefined): WandbStateService | undefined {
  if (!wandbConfig.enabled || keyArn === undefined) return undefined;
  const secrets = createSecretsClient();
  return deferredWandbState(
    async () =>
      createWandbState({
        config: wandbConfig,
        apiKey: await readWandbApiKey(secrets, keyArn),
        logger,
        metrics,
      }),
    { logger, metrics },
  );
}
const external = wandbReader(env.WANDB_API_KEY_SECRET_ARN);

// one chain port for the container's life, replaced at a tick whose kept socket died meanwhile
const chain = createChainHolder({
  endpoints: env.CHAIN_ENDPOINTS,
  timeoutMs: env.CHAIN_TIMEOUT_MS,
  ...(env.VALIDATOR_HOTKEY === undefined ? {} : { validatorHotkey: env.VALIDATOR_HOTKEY }),
});
const kept = {
  sqs: createSqsClient(),
  queueUrl: env.CHALLENGE_QUEUE_URL,
  miners: new MinerStore(doc, env.TABLE_MINERS),
  pogResults: new PogResultStore(doc, env.TABLE_POG_RESULTS),
  stats: new StatsStore(doc, env.TABLE_STATS),
  coordination: new CoordinationStore(doc, env.TABLE_COORDINATION),
  verifier: {
    batch: createBatchClient(),
    verificationQueueUrl: env.VERIFICATION_QUEUE_URL,
    verifierJobQueue: env.VERIFIER_JOB_QUEUE,
    verifierJobDefinition: env.VERIFIER_JOB_DEFINITION,
    log: logger,
  },
  ...(external ? { external } : {}),
};

export const handler = buildSyncHandler({
  getDeps: async () => ({ ...kept, chain: await chain.connected() }),
  options: {
    netuid: env.NETUID,
    ...queryableOptionsFromEnv(env),
    pogIntervalBlocks: env.POG_INTERVAL_BLOCKS,
    maxJitterSeconds: env.POG_MAX_JITTER_SECONDS,
    roundTimeoutSeconds: env.POG_ROUND_TIMEOUT_SECONDS,
  },
  logger,
  metrics,
});
