import { type BatchClient, ListJobsCommand } from '@aws-sdk/client-batch';
import { silentLog } from '../../../lib/log.js';
import { type DrainSummary, drainVerificationQueue } from '../../../lib/pipeline/verifier.js';
import { runRowCheck } from '../../../lib/pog/row-check.js';
import { createSqsVerificationQueue, type VerificationQueuePort } from '../../../lib/queue/verification.js';
import { createS3BundleSource } from '../../../lib/store/bundles.js';
import { finalResultsOf } from '../../../lib/store/final-results.js';
import { VERIFICATION_VISIBILITY_S } from './aws.js';
import type { CycleAws, CycleContext } from './context.js';

/**
 * Stages `dispatch jobs` and `verifier`: the verifier jobs the worker submitted, read back from the
 * emulator, then the verification queue drained by the local job runner (the CPU path). With
 * `--chaos` one DynamoDB request is throttled from here on and a first verifier dies mid-queue.
 */
export async function runVerifierStage(ctx: CycleContext, aws: CycleAws): Promise<DrainSummary> {
  const { chaos } = ctx;
  const { sqs, s3, batch } = aws.clients;
  const { resources } = aws;
  const jobs = await ctx.clock.run(
    'dispatch jobs',
    () => listSubmittedJobs(batch, resources.jobQueue),
    (j) => `${j.length} verifier jobs`,
  );
  const finalStore = finalResultsOf(aws.outcomes);
  const verifierDeps = (queue: VerificationQueuePort) => ({
    queue,
    bundles: createS3BundleSource(s3, resources.bucket),
    rowCheck: (file: string) => runRowCheck(file, { python: 'python3', device: 'cpu', timeoutMs: 120_000 }),
    results: finalStore,
    mode: 'enforce' as const,
    log: silentLog,
  });
  const sqsQueue = createSqsVerificationQueue(sqs, {
    queueUrl: resources.verificationQueueUrl,
    dlqUrl: resources.verificationDlqUrl,
  });
  chaos.armThrottle();
  return ctx.clock.run(
    'verifier',
    async () => {
      const dying = chaos.dyingVerifierQueue(sqsQueue);
      if (dying !== undefined) {
        await drainVerificationQueue(verifierDeps(dying.queue), {
          batchSize: 1,
          waitSeconds: 0,
          emptyPolls: 1,
          signal: dying.signal,
        });
      }
      // the visibility timeout returns the killed verifier's message; a later job (or this one) drains it
      return drainVerificationQueue(verifierDeps(sqsQueue), {
        batchSize: 5,
        waitSeconds: 1,
        emptyPolls: chaos.enabled ? VERIFICATION_VISIBILITY_S + 2 : 2,
      });
    },
    (r) => `${jobs.length} job(s): ${r.recorded} recorded, ${r.duplicates} duplicates, ${r.poison} poison`,
  );
}

/** Every verifier job the worker submitted, read back from the emulator (at most one per round). */
async function listSubmittedJobs(batch: BatchClient, jobQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for (const status of [
    'SUBMITTED',
    'PENDING',
    'RUNNABLE',
    'STARTING',
    'RUNNING',
    'SUCCEEDED',
    'FAILED',
  ] as const) {
    let nextToken: string | undefined;
    do {
      const page = await batch.send(new ListJobsCommand({ jobQueue, jobStatus: status, nextToken }));
      for (const job of page.jobSummaryList ?? [])
        if (job.jobId !== undefined && !ids.includes(job.jobId)) ids.push(job.jobId);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
  }
  return ids;
}
