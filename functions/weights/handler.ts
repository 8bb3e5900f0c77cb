import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { asError } from '../../lib/errors.js';
import { MetricName, MetricUnit } from '../../lib/observability/index.js';
import { runWeights, type WeightsDeps, type WeightsOptions } from '../../lib/pipeline/weights.js';

export interface WeightsHandlerDeps {
  /** Resolved on first use and reused while the container lives (chain connection, hotkey). */
  readonly getDeps: () => Promise<WeightsDeps>;
  readonly options: WeightsOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface WeightsSummary {
  readonly status: 'locked' | 'rate-limited' | 'submitted';
  readonly block?: number;
  readonly nextAllowedBlock?: number;
  readonly blockHash?: string;
  readonly uids?: number;
  /** W&B read status (`complete`, `partial`, `unavailable`, `disabled`) and our run's publication. */
  readonly wandb?: { readonly read?: string; readonly publish?: string };
}

/** The scheduled weight Lambda: a no-op unless the chain's rate limit allows a new set (§3.5). */
export function buildWeightsHandler(d: WeightsHandlerDeps) {
  return middy<unknown, WeightsSummary>()
    .use(injectLambdaContext(d.logger))
    .use(logMetrics(d.metrics))
    .handler(async () => {
      try {
        const result = await runWeights(await d.getDeps(), d.options);
        if (result.status !== 'submitted') {
          d.logger.info('weights skipped', { ...result });
          return result;
        }
        d.metrics.addMetric(MetricName.WeightSubmissions, MetricUnit.Count, 1);
        const { receipt } = result;
        const wandb = {
          ...(result.external ? { read: result.external.status } : {}),
          ...(result.published ? { publish: result.published.status } : {}),
        };
        d.logger.info('weights submitted', {
          block: receipt.blockNumber,
          blockHash: receipt.blockHash,
          extrinsicHash: receipt.extrinsicHash,
          uids: receipt.uids.length,
          pogRowsDeleted: result.pogRowsDeleted,
          wandb,
        });
        return {
          status: 'submitted',
          block: receipt.blockNumber,
          blockHash: receipt.blockHash,
          uids: receipt.uids.length,
          ...(Object.keys(wandb).length > 0 ? { wandb } : {}),
        };
      } catch (error) {
        d.logger.error('weights failed', asError(error));
        throw error;
      }
    });
}
