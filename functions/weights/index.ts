import { createChainHolder } from '../../lib/chain/index.js';
import { createDynamoDocumentClient, createSecretsClient } from '../../lib/clients/index.js';
import { onceUntilFailure } from '../../lib/clients/once.js';
import { loadHotkeyPair, readHotkeySecret, readWandbApiKey } from '../../lib/clients/secrets.js';
import {
  loadEnv,
  queryableOptionsFromEnv,
  WeightsEnvSchema,
  wandbConfigFromEnv,
} from '../../lib/config/env.js';
import { performanceSourceFromEnv } from '../../lib/config/live-performance.js';
import { createLogger, createMetrics } from '../../lib/observability/index.js';
import { HotkeySecretUnreadableError } from '../../lib/pipeline/preflight.js';
import { createOwnRunPublisher } from '../../lib/pipeline/publish-run.js';
import type { WeightsDeps } from '../../lib/pipeline/weights.js';
import {
  AuditStore,
  CommitRowStore,
  CoordinationStore,
  MinerStore,
  PogResultStore,
  StatsStore,
  WandbRunStore,
} from '../../lib/store/index.js';
import { createWandbState, deferredWandbState, hotkeySigner } from '../../lib/wandb/index.js';
import { buildWeightsHandler } from './handler.js';

const env = loadEnv(WeightsEnvSchema);
const wandbConfig = wandbConfigFromEnv(env);
const doc = createDynamoDocumentClient();
const logger = createLogger('weights');
const metrics = createMetrics('weights');
const gpuTables = performanceSourceFromEnv({ logger, metrics });

type KeptDeps = Omit<WeightsDeps, 'performance' | 'chain'> & {
  readonly chain: ReturnType<typeof createChainHolder>;
};

async function connect(): Promise<KeptDeps> {
  const secrets = createSecretsClient();
  const hotkeySecret = await readHotkeySecret(secrets, env.HOTKEY_SECRET_ARN)
    .then(async (secret) => {
      // a secret of another hotkey fails here too, named as the operator's problem
      await loadHotkeyPair(secret, env.VALIDATOR_HOTKEY);
      return secret;
    })
    .catch((error: unknown) => {
      throw new HotkeySecretUnreadableError('the hotkey secret cannot be read or parsed', { cause: error });
    });
  // connected at each tick, not here: a socket that died while the container slept is replaced there
  const chain = createChainHolder({
    endpoints: env.CHAIN_ENDPOINTS,
    hotkeySecret,
    timeoutMs: env.CHAIN_TIMEOUT_MS,
    ...(env.TABLE_COMMITS === undefined ? {} : { commitStore: new CommitRowStore(doc, env.TABLE_COMMITS) }),
  });
  const base = {
    chain,
    pogResults: new PogResultStore(doc, env.TABLE_POG_RESULTS),
    stats: new StatsStore(doc, env.TABLE_STATS),
    coordination: new CoordinationStore(doc, env.TABLE_COORDINATION),
    audit: new AuditStore(doc, env.TABLE_AUDIT),
  };
  // disabled: no secret read, no W&B request at all; scoring runs on local data
  if (!wandbConfig.enabled || env.WANDB_API_KEY_SECRET_ARN === undefined) return base;
  const keyArn = env.WANDB_API_KEY_SECRET_ARN;
  // a W&B key problem degrades W&B only: the weights still go out on local data
  const wandb = deferredWandbState(
    async () =>
      createWandbState({
        config: wandbConfig,
        apiKey: await readWandbApiKey(secrets, keyArn),
        logger,
        metrics,
      }),
    { logger, metrics },
  );
  const signer = await hotkeySigner(hotkeySecret, env.VALIDATOR_HOTKEY);
  const publisher = createOwnRunPublisher({
    wandb,
    signer,
    miners: new MinerStore(doc, env.TABLE_MINERS),
    runIds: new WandbRunStore(doc, env.TABLE_COORDINATION),
    logger,
  });
  return { ...base, external: wandb, publisher };
}

const getDeps = onceUntilFailure(connect);
export const handler = buildWeightsHandler({
  // the GPU tables are read per tick (cached 60 s), so an update applies without a redeploy
  getDeps: async () => {
    const { chain, ...kept } = await getDeps();
    return { ...kept, chain: await chain.connected(), performance: await gpuTables.current() };
  },
  options: {
    netuid: env.NETUID,
    mode: env.WEIGHT_MODE,
    validatorHotkey: env.VALIDATOR_HOTKEY,
    lockSeconds: env.WEIGHTS_LOCK_SECONDS,
    ...queryableOptionsFromEnv(env),
  },
  logger,
  metrics,
});
