import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MetricName, MetricUnit } from '../../lib/observability/index.js';
import { processChallenge, RetryLaterError, type WorkerDeps } from '../../lib/pipeline/worker.js';
import { decodeChallenge } from '../../lib/queue/challenge.js';

/** The challenge's round, uid and hotkey as log keys; none for a body the worker will refuse. */
function challengeKeys(body: string): { roundId?: string; uid?: number; hotkey?: string } {
  try {
    const { roundId, uid, hotkey } = decodeChallenge(body);
    return { roundId, uid, hotkey };
  } catch {
    return {};
  }
}

export interface WorkerHandlerDeps {
  readonly deps: WorkerDeps;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * SQS → one PoG attempt per record (the event source's batch size is 1). A record is reported as
 * failed when the attempt is to be retried (its visibility already set to the retry interval) or
 * on our own fault (redelivered after the visibility timeout, dead-lettered after maxReceiveCount).
 */
export function buildWorkerHandler(d: WorkerHandlerDeps) {
  const record = async (r: SQSRecord, context?: Context): Promise<void> => {
    // every line written for this record (worker, PoG session, deallocation) carries its keys
    const keys = challengeKeys(r.body);
    d.logger.appendKeys(keys);
    try {
      await processRecord(r, context);
    } finally {
      d.logger.removeKeys(Object.keys(keys));
    }
  };
  const processRecord = async (r: SQSRecord, context?: Context): Promise<void> => {
    const delivery = {
      messageId: r.messageId,
      body: r.body,
      receiptHandle: r.receiptHandle,
      ...(context ? { invocationDeadline: new Date(Date.now() + context.getRemainingTimeInMillis()) } : {}),
    };
    const result = await processChallenge(d.deps, delivery).catch((error: unknown) => {
      d.logger.warn('challenge not processed', { messageId: r.messageId, error: String(error) });
      throw error;
    });
    if (result.status === 'refused') {
      // dead-lettered already: deleting the delivery is all that is left
      d.metrics.addMetric(MetricName.ChallengesRefused, MetricUnit.Count, 1);
      d.logger.warn('challenge refused, dead-lettered', { messageId: r.messageId, reason: result.reason });
      return;
    }
    d.logger.info('challenge processed', {
      status: result.status,
      roundId: result.challenge.roundId,
      uid: result.challenge.uid,
    });
    if ('minerMs' in result && result.minerMs !== undefined) {
      d.metrics.addMetric(MetricName.MinerWaitSeconds, MetricUnit.Seconds, result.minerMs / 1000);
    }
    if (result.status === 'verifying') d.metrics.addMetric(MetricName.BundlesQueued, MetricUnit.Count, 1);
    if (result.status === 'verifying' && result.verifierJobId !== null) {
      d.metrics.addMetric(MetricName.JobsSubmitted, MetricUnit.Count, 1);
    }
    if (result.status === 'retry') {
      throw new RetryLaterError(`attempt ${result.attempt} failed: ${result.reason}`);
    }
    if (result.status === 'deferred') {
      throw new RetryLaterError(
        `a session with this miner may still run; back in ${result.retryInSeconds} s`,
      );
    }
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(d.logger))
    .use(logMetrics(d.metrics))
    .handler(async (event, context) =>
      // with batch size 1 every failure is a full-batch failure: report it, do not throw. A processor
      // per invocation: it holds the batch's state, and the local cycle runs invocations side by side
      processPartialResponse(event, record, new BatchProcessor(EventType.SQS), {
        context,
        throwOnFullBatchFailure: false,
      }),
    );
}
