import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoDocumentClient, createSqsClient } from '../../lib/clients/index.js';
import { loadEnv, VerifierEnvSchema } from '../../lib/config/env.js';
import { createLogger } from '../../lib/observability/index.js';
import { drainWithRowChecker, roundSessionsPending, VerifierExit } from '../../lib/pipeline/verifier.js';
import { startRowChecker } from '../../lib/pog/row-check-process.js';
import { messagesIn } from '../../lib/queue/depth.js';
import { createSqsVerificationQueue } from '../../lib/queue/verification.js';
import { createS3BundleSource } from '../../lib/store/bundles.js';
import { CoordinationStore, verifierClaimKey } from '../../lib/store/coordination.js';
import { finalResultsOf } from '../../lib/store/final-results.js';
import { PogOutcomeStore } from '../../lib/store/pog-results.js';

/**
 * The AWS Batch verifier (not a Lambda): drains the verification queue, then exits `Drained`; `Fault`
 * for a configuration or client fault, or a row checker that failed its self-test ({@link VerifierExit});
 * messages it did not finish come back to the queue by themselves.
 */
async function main(): Promise<number> {
  const env = loadEnv(VerifierEnvSchema);
  const logger = createLogger('verifier');
  const doc = createDynamoDocumentClient();
  const tables = { pogResults: env.TABLE_POG_RESULTS, coordination: env.TABLE_COORDINATION };
  // no trim: the role cannot delete rows; the newest-4 window is applied on read
  const results = finalResultsOf(new PogOutcomeStore(doc, tables, env.NETUID));
  const override = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const s3 = new S3Client(override !== undefined ? { forcePathStyle: true } : {});
  const stop = new AbortController();
  // Batch stops a job with SIGTERM: finish the bundle in hand, leave the rest to the queue
  process.once('SIGTERM', () => stop.abort());
  const sqs = createSqsClient();
  const challengeQueueUrl = env.CHALLENGE_QUEUE_URL;
  const deps = {
    queue: createSqsVerificationQueue(sqs, {
      queueUrl: env.VERIFICATION_QUEUE_URL,
      dlqUrl: env.VERIFICATION_DLQ_URL,
    }),
    bundles: createS3BundleSource(s3, env.BUNDLE_BUCKET),
    results,
    mode: env.ROW_CHECK,
    log: logger,
    // a session of the round waiting, running or waiting to retry may still hand a bundle over
    ...(challengeQueueUrl === undefined
      ? {}
      : {
          sessionsPending: roundSessionsPending(
            () => messagesIn(sqs, challengeQueueUrl),
            env.VERIFIER_SESSIONS_UNTIL,
          ),
        }),
  };
  // one checker process for the whole job (the interpreter and CUDA start once), started last so that
  // nothing between its start and the drain's finally can leave it running
  const checker = startRowChecker({
    python: env.PYTHON,
    device: env.ROW_CHECK_DEVICE,
    timeoutMs: env.ROW_CHECK_TIMEOUT_SECONDS * 1000,
  });
  const roundId = env.VERIFIER_ROUND_ID;
  const jobId = env.AWS_BATCH_JOB_ID;
  const coordination = new CoordinationStore(doc, env.TABLE_COORDINATION);
  const claim =
    roundId !== undefined && jobId !== undefined
      ? { release: () => coordination.releaseDone(verifierClaimKey(roundId), jobId) }
      : undefined;
  const summary = await drainWithRowChecker(
    checker,
    deps,
    {
      batchSize: env.VERIFIER_BATCH_SIZE,
      waitSeconds: env.VERIFIER_WAIT_SECONDS,
      emptyPolls: env.VERIFIER_EMPTY_POLLS,
      lingerSeconds: env.VERIFIER_LINGER_SECONDS,
      signal: stop.signal,
    },
    claim,
  );
  // its bundles wait in the queue for the job the sync starts once they are visible again (exit 1: no Batch retry)
  return summary.checkerFault ? VerifierExit.Fault : VerifierExit.Drained;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(JSON.stringify({ level: 'ERROR', message: 'verifier crashed', error: String(error) }));
    process.exitCode = VerifierExit.Fault;
  },
);
