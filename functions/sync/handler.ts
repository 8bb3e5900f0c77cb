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
  /**
   * Called at each tick: the entry keeps its clients for the container's life and hands out a chain port
   * whose socket works (reconnected when the kept one died while the container slept).
   */
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
        report(result, d);
        d.logger.info('sync done', { ...result });
        return result;
      } catch (error) {
        d.metrics.addMetric(MetricName.SyncErrors, MetricUnit.Count, 1);
        d.logger.error('sync failed', asError(error));
        throw error;
      }
    });
}

/** The tick's metrics and the lines an operator acts on. */
function report(result: SyncTickResult, d: Pick<SyncHandlerDeps, 'logger' | 'metrics'>): void {
  const count = (name: (typeof MetricName)[keyof typeof MetricName], value = 1) =>
    d.metrics.addMetric(name, MetricUnit.Count, value);
  if (result.versionFilterSkipped) count(MetricName.VersionFilterSkipped);
  if (result.round.status === 'blocked') {
    for (const problem of result.round.problems) {
      count(MetricName.PreflightProblems);
      d.logger.error(`validator preflight: ${PREFLIGHT_MESSAGES[problem]}`, { problem });
    }
  }
  if (result.round.status === 'started') count(MetricName.ChallengesEnqueued, result.round.challenges);
  if (result.verifier?.status === 'started') {
    count(MetricName.VerifierRestarts);
    d.logger.warn('bundles waited with no verifier at work: started one', { ...result.verifier });
  }
  if (result.verifier?.status === 'error') {
    // the round's work stands; the next tick looks at the verification queue again
    count(MetricName.SyncErrors);
    d.logger.error('verification queue check failed', { reason: result.verifier.reason });
  }
}
