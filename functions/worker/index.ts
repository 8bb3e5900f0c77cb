import { S3Client } from '@aws-sdk/client-s3';
import {
  createBatchClient,
  createDynamoDocumentClient,
  createSecretsClient,
  createSqsClient,
} from '../../lib/clients/index.js';
import { readHotkeySecret } from '../../lib/clients/secrets.js';
import { loadEnv, WorkerEnvSchema } from '../../lib/config/env.js';
import { performanceSourceFromEnv } from '../../lib/config/live-performance.js';
import { createLogger, createMetrics } from '../../lib/observability/index.js';
import { createPogRunner } from '../../lib/pog/index.js';
import { CHALLENGE_QUEUE, workerRetryLimit } from '../../lib/queue/challenge.js';
import { CoordinationStore, PogOutcomeStore } from '../../lib/store/index.js';
import { buildWorkerHandler } from './handler.js';

const env = loadEnv(WorkerEnvSchema);
const doc = createDynamoDocumentClient();
const logger = createLogger('worker');
const metrics = createMetrics('worker');
const gpuTables = performanceSourceFromEnv({ logger, metrics });
// the retry limit and interval are read at cold start; the tables themselves at every attempt
const performance = await gpuTables.current();
const secrets = createSecretsClient();

export const handler = buildWorkerHandler({
  deps: {
    runner: createPogRunner({
      performance: () => gpuTables.current(),
      hotkeySecret: () => readHotkeySecret(secrets, env.HOTKEY_SECRET_ARN),
      // the Lambda timeout is sized for this deadline (lib/queue/challenge.ts)
      engine: { attemptTimeoutS: CHALLENGE_QUEUE.attemptDeadlineSeconds },
      log: logger,
    }),
    // no trim: the worker may not delete rows; the read side applies the newest-4 window
    outcomes: new PogOutcomeStore(
      doc,
      { pogResults: env.TABLE_POG_RESULTS, coordination: env.TABLE_COORDINATION },
      env.NETUID,
    ),
    coordination: new CoordinationStore(doc, env.TABLE_COORDINATION),
    s3: new S3Client({}),
    sqs: createSqsClient(),
    batch: createBatchClient(),
    bundleBucket: env.BUNDLE_BUCKET,
    challengeQueueUrl: env.CHALLENGE_QUEUE_URL,
    challengeDlqUrl: env.CHALLENGE_DLQ_URL,
    verificationQueueUrl: env.VERIFICATION_QUEUE_URL,
    verifierJobQueue: env.VERIFIER_JOB_QUEUE,
    verifierJobDefinition: env.VERIFIER_JOB_DEFINITION,
    retryLimit: workerRetryLimit(performance.merkle_proof.pog_retry_limit, logger),
    retryIntervalS: performance.merkle_proof.pog_retry_interval,
    log: logger,
  },
  logger,
  metrics,
});
