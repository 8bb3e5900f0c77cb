import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { asError } from '../../lib/errors.js';
import { MetricName, MetricUnit } from '../../lib/observability/index.js';
import { PREFLIGHT_MESSAGES } from '../../lib/pipeline/preflight.js';
import { runSync, type SyncDeps, type SyncOptions, type SyncTickResult } from '../../lib/pipeline/sync.js';

export interface SyncHandlerDeps {
  /** Resolved on first use and reused while the container lives (the chain connection is costly). */
  readonly getDeps: () => Promise<SyncDeps>;
  readonly options: SyncOptions;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The scheduled sync Lambda: the schedule's event carries nothing we need, so it is ignored. */
export function buildSyncHandler(d: SyncHandlerDeps) {
  return middy<unknown, SyncTickResult>()
    .use(injectLambdaContext(d.logger))
    .use(logMetrics(d.metrics))
    .handler(async () => {
      try {
        const result = await runSync(await d.getDeps(), d.options);
        if (result.versionFilterSkipped)
          d.metrics.addMetric(MetricName.VersionFilterSkipped, MetricUnit.Count, 1);
        if (result.round.status === 'blocked') {
          for (const problem of result.round.problems) {
            d.metrics.addMetric(MetricName.PreflightProblems, MetricUnit.Count, 1);
            d.logger.error(`validator preflight: ${PREFLIGHT_MESSAGES[problem]}`, { problem });
          }
        }
        if (result.round.status === 'started') {
          d.metrics.addMetric(MetricName.ChallengesEnqueued, MetricUnit.Count, result.round.challenges);
        }
        d.logger.info('sync done', { ...result });
        return result;
      } catch (error) {
        d.metrics.addMetric(MetricName.SyncErrors, MetricUnit.Count, 1);
        d.logger.error('sync failed', asError(error));
        throw error;
      }
    });
}
