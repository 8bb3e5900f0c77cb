import { type BatchClient, DescribeJobsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { PogValidatorError, ValidationError } from '../errors.js';
import type { PogChallenge } from '../ports.js';
import { MAX_CHALLENGE_BODY_BYTES, PogChallengeSchema } from '../queue/challenge.js';
import type { LockStore } from '../store/locks.js';
import { parseWith } from '../validation.js';

/** Another delivery of the same challenge holds the claim right now; retry the message later. */
export class ChallengeBusyError extends PogValidatorError {}

export interface WorkerDeps {
  readonly batch: BatchClient;
  readonly locks: LockStore;
  readonly jobQueue: string;
  readonly jobDefinition: string;
}

/** Claims live a day (TTL); an unfinished claim older than this is a crashed worker's. */
const CLAIM_TTL_SECONDS = 24 * 3600;
const CLAIM_STALE_SECONDS = 120;

export interface SubmitResult {
  readonly status: 'submitted' | 'duplicate';
  readonly jobId: string | null;
  readonly challenge: PogChallenge;
}

/** Parses an SQS body (size-bounded JSON, then zod); throws {@link ValidationError}. */
export function parseChallengeBody(body: string): PogChallenge {
  if (Buffer.byteLength(body, 'utf8') > MAX_CHALLENGE_BODY_BYTES) {
    throw new ValidationError(`challenge body exceeds ${MAX_CHALLENGE_BODY_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ValidationError('challenge body is not JSON');
  }
  return parseWith(PogChallengeSchema, json, 'challenge');
}

/** Batch job names allow letters, digits, hyphens and underscores, up to 128 characters. */
function jobName(c: PogChallenge): string {
  return `pog-${c.roundId}-${c.uid}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);
}

/**
 * Submits one AWS Batch job for a challenge, exactly once per (roundId, hotkey) even when SQS
 * delivers the message twice: a conditional claim precedes SubmitJob, and the job id completes it.
 * A failed submit drops the claim and rethrows, so the message is retried (then dead-lettered).
 */
export async function submitChallenge(deps: WorkerDeps, challenge: PogChallenge): Promise<SubmitResult> {
  const key = `${challenge.roundId}#${challenge.hotkey}`;
  const claim = await deps.locks.claim(key, CLAIM_TTL_SECONDS, CLAIM_STALE_SECONDS);
  if (claim === 'duplicate') return { status: 'duplicate', jobId: await deps.locks.claimRef(key), challenge };
  if (claim === 'busy')
    throw new ChallengeBusyError(`challenge ${key} is being submitted by another delivery`);
  try {
    const out = await deps.batch.send(
      new SubmitJobCommand({
        jobName: jobName(challenge),
        jobQueue: deps.jobQueue,
        jobDefinition: deps.jobDefinition,
        containerOverrides: { environment: [{ name: 'POG_CHALLENGE', value: JSON.stringify(challenge) }] },
        tags: { roundId: challenge.roundId, uid: String(challenge.uid) },
      }),
    );
    const jobId = out.jobId ?? '';
    await deps.locks.complete(key, jobId);
    return { status: 'submitted', jobId, challenge };
  } catch (error) {
    await deps.locks.abandon(key);
    throw error;
  }
}

export type JobStatus =
  | 'SUBMITTED'
  | 'PENDING'
  | 'RUNNABLE'
  | 'STARTING'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED';

/** Status of submitted proof jobs, by job id (DescribeJobs takes 100 ids per call). */
export async function describeProofJobs(
  batch: BatchClient,
  jobIds: readonly string[],
): Promise<Map<string, JobStatus>> {
  const statuses = new Map<string, JobStatus>();
  for (let i = 0; i < jobIds.length; i += 100) {
    const out = await batch.send(new DescribeJobsCommand({ jobs: jobIds.slice(i, i + 100) }));
    for (const job of out.jobs ?? []) {
      if (job.jobId !== undefined && job.status !== undefined) statuses.set(job.jobId, job.status);
    }
  }
  return statuses;
}

export interface ChallengeRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface RecordFailure {
  readonly messageId: string;
  readonly reason: string;
}

/**
 * Handles one SQS batch with at most `concurrency` submissions in flight. Each bad record (invalid
 * body, failed submit) is reported alone, so SQS retries only it and dead-letters it after
 * maxReceiveCount while the others complete.
 */
export async function processChallengeRecords(
  deps: WorkerDeps,
  records: readonly ChallengeRecord[],
  concurrency: number,
): Promise<{ results: SubmitResult[]; failures: RecordFailure[] }> {
  const results: SubmitResult[] = [];
  const failures: RecordFailure[] = [];
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, records.length)) }, async () => {
    while (next < records.length) {
      const record = records[next++];
      if (record === undefined) continue;
      try {
        results.push(await submitChallenge(deps, parseChallengeBody(record.body)));
      } catch (error) {
        failures.push({
          messageId: record.messageId,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
  });
  await Promise.all(lanes);
  return { results, failures };
}
