import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { MetricName, MetricUnit } from '../../lib/observability/index.js';
import { processChallengeRecords, type WorkerDeps } from '../../lib/pipeline/worker.js';

export interface WorkerHandlerDeps {
  readonly deps: WorkerDeps;
  readonly concurrency: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** SQS → Batch: one job per valid challenge; bad records are reported alone (ReportBatchItemFailures). */
export function buildWorkerHandler(d: WorkerHandlerDeps) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(d.logger))
    .use(logMetrics(d.metrics))
    .handler(async (event) => {
      const records = (event.Records ?? []).map((r) => ({ messageId: r.messageId, body: r.body }));
      const { results, failures } = await processChallengeRecords(d.deps, records, d.concurrency);
      const submitted = results.filter((r) => r.status === 'submitted').length;
      d.metrics.addMetric(MetricName.JobsSubmitted, MetricUnit.Count, submitted);
      for (const f of failures)
        d.logger.warn('challenge not submitted', { messageId: f.messageId, reason: f.reason });
      d.logger.info('batch done', {
        submitted,
        duplicates: results.length - submitted,
        failed: failures.length,
      });
      return { batchItemFailures: failures.map((f) => ({ itemIdentifier: f.messageId })) };
    });
}
