import { buildWeightsHandler, type WeightsSummary } from '../../../functions/weights/handler.js';
import { asError } from '../../../lib/errors.js';
import { toAddress } from '../../chain/devnet.js';
import {
  type CycleAws,
  type CycleContext,
  type CycleServers,
  LOCAL_FILTER,
  localMetrics,
  NETUID,
  scheduleContext,
  silentLogger,
  VALIDATOR_URI,
} from './context.js';

/**
 * Stage `weights`: the weight schedule through the real handler, fired again after a failure (with
 * `--chaos` the chain connection drops after the node accepted the extrinsic). Throws when no tick
 * finished.
 */
export async function runWeightsStage(
  ctx: CycleContext,
  servers: CycleServers,
  aws: CycleAws,
): Promise<Array<WeightsSummary | string>> {
  const weightsHandler = buildWeightsHandler({
    getDeps: async () => ({ chain: await aws.connectChain(), ...aws.stores, performance: ctx.performance }),
    options: {
      netuid: NETUID,
      mode: 'scores',
      validatorHotkey: toAddress(VALIDATOR_URI),
      lockSeconds: 120,
      ...LOCAL_FILTER,
    },
    logger: silentLogger(),
    metrics: localMetrics(),
  });
  const weights = await ctx.clock.run(
    'weights',
    async () => {
      ctx.chaos.dropChainOnSubmission(servers.proxy);
      const attempts: Array<WeightsSummary | string> = [];
      // The schedule fires again after a failure; the rate limit keeps a landed set from repeating.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const summary = await weightsHandler({}, scheduleContext);
          attempts.push(summary);
          if (summary.status !== 'locked') break;
        } catch (error) {
          attempts.push(asError(error).name);
        }
      }
      return attempts;
    },
    (a) => a.map((x) => (typeof x === 'string' ? x : x.status)).join(' → '),
  );
  if (!weights.some((w) => typeof w !== 'string' && w.status !== 'locked')) {
    throw new Error(`the weight handler did not finish: ${JSON.stringify(weights)}`);
  }
  return weights;
}
