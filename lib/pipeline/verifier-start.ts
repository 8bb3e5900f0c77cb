import { type BatchClient, DescribeJobsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EnvName } from '../config/env-names.js';
import type { Log } from '../log.js';
import { CHALLENGE_QUEUE } from '../queue/challenge.js';
import { queueDepth } from '../queue/depth.js';
import { type CoordinationStore, verifierClaimKey } from '../store/coordination.js';

/**
 * Starting the round's verifier job (issue 11), from the two places that do it: the worker after each
 * hand-over, and the sync tick for bundles that wait with no verifier at work.
 */
export interface VerifierStarterDeps {
  readonly coordination: CoordinationStore;
  readonly batch: BatchClient;
  readonly verifierJobQueue: string;
  readonly verifierJobDefinition: string;
  readonly log?: Log;
}

/** Claims live a day (TTL); an unfinished claim older than this is a crashed worker's. */
const CLAIM_TTL_SECONDS = 24 * 3600;
const CLAIM_STALE_SECONDS = 120;

/** Batch job names allow letters, digits, hyphens and underscores, up to 128 characters. */
function verifierJobName(roundId: string): string {
  return `pog-verify-${roundId}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);
}

/**
 * The last moment (epoch seconds) a session of a round may hand a bundle over: an attempt starts before
 * its challenge's `attemptsUntil` and its invocation ends within the worker's timeout. The sync's round
 * window keeps this before the next round is due, so a job waiting for its round's sessions never waits
 * into the next round's.
 */
export function sessionsUntil(attemptsUntil: number | undefined): number | undefined {
  return attemptsUntil === undefined ? undefined : attemptsUntil + CHALLENGE_QUEUE.workerTimeoutSeconds;
}

/**
 * Starts the round's verifier job at most once at a time: a conditional claim precedes SubmitJob and
 * the job id completes it. Only a failed SubmitJob drops the claim (and rethrows, so the delivery is
 * retried); a failure after a successful submit keeps it, so a redelivery never submits twice. A
 * claim whose job failed without dropping it is taken over once ({@link dropClaimOfFailedJob}).
 * Returns the job id when this call submitted, null when another delivery did or is doing it.
 *
 * @param until {@link sessionsUntil} of the round, which the job waits for late bundles up to; absent
 *   (the sync's restart), the job ends once the queue is empty
 */
export async function startVerifier(
  deps: VerifierStarterDeps,
  roundId: string,
  until?: number,
  takeOvers = 1,
): Promise<string | null> {
  const key = verifierClaimKey(roundId);
  const claim = await deps.coordination.claim(key, CLAIM_TTL_SECONDS, CLAIM_STALE_SECONDS);
  if (claim === 'duplicate' && takeOvers > 0 && (await dropClaimOfFailedJob(deps, key, roundId)))
    return startVerifier(deps, roundId, until, takeOvers - 1);
  if (claim !== 'claimed') return null;
  let jobId: string;
  const environment = [
    // the job drops this round's claim when it has drained (functions/verifier)
    { name: EnvName.VerifierRoundId, value: roundId },
    ...(until === undefined ? [] : [{ name: EnvName.VerifierSessionsUntil, value: String(until) }]),
  ];
  try {
    const out = await deps.batch.send(
      new SubmitJobCommand({
        jobName: verifierJobName(roundId),
        jobQueue: deps.verifierJobQueue,
        jobDefinition: deps.verifierJobDefinition,
        // no `tags`: a tagged SubmitJob is also authorized as batch:TagResource, which the starters are
        // not granted (infra/verifier.ts bindSubmitter); the job's name and environment carry the round
        containerOverrides: { environment },
      }),
    );
    jobId = out.jobId ?? '';
  } catch (error) {
    await deps.coordination.abandon(key);
    throw error;
  }
  await deps.coordination.complete(key, jobId);
  return jobId;
}

/**
 * A verifier drops its claim before it exits (lib/pipeline/verifier.ts), also when stopped, and a
 * failed release fails the job. So a claim still naming a FAILED job (killed outright, e.g. out of
 * memory, with no Batch attempt left) or a job Batch no longer knows is a dead verifier's: it is
 * dropped (conditional on that job id, so concurrent hand-overs drop it once) and true tells the
 * caller to claim again. A live job (queued, starting, running) keeps its claim and drains this bundle.
 */
async function dropClaimOfFailedJob(
  deps: VerifierStarterDeps,
  key: string,
  roundId: string,
): Promise<boolean> {
  const jobId = await deps.coordination.claimRef(key);
  // dropped since the claim was read: claim again
  if (jobId === null) return true;
  const described =
    jobId === '' ? undefined : await deps.batch.send(new DescribeJobsCommand({ jobs: [jobId] }));
  const status = described?.jobs?.find((j) => j.jobId === jobId)?.status ?? 'UNKNOWN';
  if (status !== 'FAILED' && status !== 'UNKNOWN') return false;
  deps.log?.warn('verifier job ended without dropping its claim, starting another', {
    roundId,
    jobId,
    status,
  });
  await deps.coordination.releaseDone(key, jobId);
  return true;
}

/** The sync's view of the verification queue: where bundles wait, and how to start a verifier. */
export interface VerifierWatchDeps extends VerifierStarterDeps {
  readonly sqs: SQSClient;
  readonly verificationQueueUrl: string;
}

/** What one look at the verification queue found and did. */
export type VerifierSweep =
  /** No bundle waits. */
  | { readonly status: 'idle' }
  /** Bundles wait and some are in flight: a verifier is at work on the queue. */
  | { readonly status: 'working'; readonly waiting: number; readonly inFlight: number }
  /** Bundles wait, none in flight, and the round's claim names a job still queued or starting. */
  | { readonly status: 'pending'; readonly waiting: number }
  /** Bundles wait with no verifier at work: this look started one. */
  | { readonly status: 'started'; readonly waiting: number; readonly jobId: string };

/**
 * A verifier ends (or dies) on its own; the worker starts the next one only on a later hand-over. So a
 * job that failed after a round's last hand-over, or whose round had none after it, would leave its
 * bundles waiting for the next round. Called on every sync tick: when bundles wait and none is in
 * flight (no verifier holds a message), it starts the round's verifier the way a hand-over does (the
 * claim keeps it to one job; a claim naming a failed or unknown job is taken over).
 */
export async function restartIdleVerifier(deps: VerifierWatchDeps, roundId: string): Promise<VerifierSweep> {
  const { waiting, inFlight } = await queueDepth(deps.sqs, deps.verificationQueueUrl);
  if (waiting === 0) return { status: 'idle' };
  if (inFlight > 0) return { status: 'working', waiting, inFlight };
  const jobId = await startVerifier(deps, roundId);
  return jobId === null ? { status: 'pending', waiting } : { status: 'started', waiting, jobId };
}
