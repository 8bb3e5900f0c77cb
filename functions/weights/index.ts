import { createChainPort } from '../../lib/chain/index.js';
import { createDynamoDocumentClient, createSecretsClient } from '../../lib/clients/index.js';
import { readHotkeySecret } from '../../lib/clients/secrets.js';
import { loadEnv, WeightsEnvSchema } from '../../lib/config/env.js';
import { loadPerformanceConfig } from '../../lib/config/gpu-performance.js';
import { createLogger, createMetrics } from '../../lib/observability/index.js';
import type { WeightsDeps } from '../../lib/pipeline/weights.js';
import { AuditStore, LockStore, PogResultStore, StatsStore } from '../../lib/store/index.js';
import { buildWeightsHandler } from './handler.js';

const env = loadEnv(WeightsEnvSchema);
const doc = createDynamoDocumentClient();
const performance = loadPerformanceConfig();
let deps: Promise<WeightsDeps> | undefined;

async function connect(): Promise<WeightsDeps> {
  const hotkeySecret = await readHotkeySecret(createSecretsClient(), env.HOTKEY_SECRET_ARN);
  const chain = await createChainPort({
    endpoints: env.CHAIN_ENDPOINTS,
    hotkeySecret,
    timeoutMs: env.CHAIN_TIMEOUT_MS,
  });
  return {
    chain,
    pogResults: new PogResultStore(doc, env.TABLE_POG_RESULTS),
    stats: new StatsStore(doc, env.TABLE_STATS),
    locks: new LockStore(doc, env.TABLE_LOCKS),
    audit: new AuditStore(doc, env.TABLE_AUDIT),
    performance,
  };
}

export const handler = buildWeightsHandler({
  getDeps: () => {
    deps ??= connect();
    // a failed connection must not be cached for the container's life
    deps.catch(() => {
      deps = undefined;
    });
    return deps;
  },
  options: {
    netuid: env.NETUID,
    mode: env.WEIGHT_MODE,
    validatorHotkey: env.VALIDATOR_HOTKEY,
    lockSeconds: env.WEIGHTS_LOCK_SECONDS,
    blacklistHotkeys: env.BLACKLIST_HOTKEYS,
    blacklistColdkeys: env.BLACKLIST_COLDKEYS,
    dedupeIps: env.DEDUPE_IPS,
    minMinerVersion: env.MIN_MINER_VERSION,
    versionFilterThresholdPercent: env.VERSION_FILTER_THRESHOLD_PERCENT,
  },
  logger: createLogger('weights'),
  metrics: createMetrics('weights'),
});
