import type { BatchClient } from '@aws-sdk/client-batch';
import type { S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { PogValidatorError, ValidationError } from '../errors.js';
import type { Log } from '../log.js';
import {
  BUNDLE_VERSION,
  bundleDigest,
  bundleKey,
  bundleTolerance,
  encodeBundle,
  type ProofBundle,
  parseVerificationMessage,
  type VerificationMessage,
} from '../pog/bundle.js';
import type { AllocationLedger, AttemptResult, PogAttemptRunner, SessionResult } from '../pog/index.js';
import { PAYLOAD_PROTOCOL } from '../pog/verify.js';
import {
  CHALLENGE_QUEUE,
  decodeChallenge,
  MAX_CHALLENGE_BODY_BYTES,
  type PogChallenge,
} from '../queue/challenge.js';
import { putBundle } from '../store/bundles.js';
import type { CoordinationStore } from '../store/coordination.js';
import type { AttemptState, PogOutcomeStore } from '../store/pog-results.js';
import { sessionsUntil, startVerifier } from './verifier-start.js';

/** The attempt failed for the miner and SQS redelivers it after the retry interval. */
export class RetryLaterError extends PogValidatorError {}

export interface WorkerDeps {
  readonly runner: PogAttemptRunner;
  readonly outcomes: PogOutcomeStore;
  readonly coordination: CoordinationStore;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly batch: BatchClient;
  readonly bundleBucket: string;
  readonly challengeQueueUrl: string;
  /** Where a body that is no challenge goes at once, with its reason (the challenge queue's DLQ). */
  readonly challengeDlqUrl: string;
  readonly verificationQueueUrl: string;
  readonly verifierJobQueue: string;
  readonly verifierJobDefinition: string;
  /** Attempts per (round, hotkey) (reference `pog_retry_limit`). */
  readonly retryLimit: number;
  /** Seconds before a failed attempt is redelivered (reference `pog_retry_interval`). */
  readonly retryIntervalS: number;
  readonly log?: Log;
  readonly now?: () => Date;
  /** Harness only (simulated miners on 127.0.0.1): never set from the environment. */
  readonly allowPrivateAddresses?: boolean;
}

/** One delivery of a challenge message. */
export interface ChallengeDelivery {
  readonly messageId: string;
  readonly body: string;
  readonly receiptHandle: string;
  /**
   * When the invocation that handles it ends (the Lambda's own deadline): the session's lease runs
   * until then, since no session outlives its invocation. Absent: the worker timeout from now.
   */
  readonly invocationDeadline?: Date;
}

export type ChallengeResult =
  /** Not a challenge (size, JSON, schema, a non-public address): dead-lettered with the reason, no session. */
  | { readonly status: 'refused'; readonly reason: string }
  /**
   * A final row exists (or a bundle awaits the verifier): no second session. A hand-over a crash
   * interrupted was finished (its verification message re-sent) on the way.
   */
  | { readonly status: 'duplicate'; readonly challenge: PogChallenge; readonly state: 'final' | 'verifying' }
  /** The attempt passed the quick check; its bundle is in S3 and on the verification queue. */
  | {
      readonly status: 'verifying';
      readonly challenge: PogChallenge;
      readonly attempt: number;
      readonly bundleKey: string;
      readonly verifierJobId: string | null;
      /** The attempt's wait on the miner (the MinerWaitSeconds metric). */
      readonly minerMs: number;
    }
  /** Another delivery's session with this miner may still run: this one comes back after its lease. */
  | {
      readonly status: 'deferred';
      readonly challenge: PogChallenge;
      readonly retryInSeconds: number;
    }
  /** A miner fault with attempts left: the message comes back after the retry interval. */
  | {
      readonly status: 'retry';
      readonly challenge: PogChallenge;
      readonly attempt: number;
      readonly reason: string;
      readonly minerMs: number;
    }
  /** Attempts exhausted: one failure row with the last reason. */
  | {
      readonly status: 'failed';
      readonly challenge: PogChallenge;
      readonly attempt: number;
      readonly reason: string;
      readonly recorded: boolean;
      /** Absent when no attempt ran in this delivery (its round's window had closed). */
      readonly minerMs?: number;
    };

/** The bundle of a passed attempt (the format is lib/pog/bundle.ts's). */
export function bundleOf(
  challenge: PogChallenge,
  attempt: number,
  proof: SessionResult,
  createdAt: Date,
): ProofBundle {
  return {
    header: {
      version: BUNDLE_VERSION,
      protocol: PAYLOAD_PROTOCOL,
      n: proof.n,
      tolerance: bundleTolerance(),
      gpus: proof.gpus.map((g) => ({
        gpu: g.gpu,
        seedA: g.seedA.toString(),
        seedB: g.seedB.toString(),
        rows: [...g.rows],
        root: g.root,
        paths: g.paths.map((p) => [...p]),
      })),
      netuid: challenge.netuid,
      roundId: challenge.roundId,
      hotkey: challenge.hotkey,
      uid: challenge.uid,
      attempt,
      gpuName: proof.gpuName,
      numGpus: proof.numGpus,
      sampled: { passed: true, gpusPassed: proof.sampled.passed, reason: null },
      timings: {
        benchmark: proof.timings.benchmarkS,
        compute: proof.timings.computeS,
        proof: proof.timings.proofS,
      },
      createdAt: createdAt.toISOString(),
    },
    rows: proof.gpus.map((g) => g.values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))),
  };
}

/** The passed attempt's bundle (size-bounded by the encoder) and the verification message naming it. */
function bundleAndMessage(
  deps: WorkerDeps,
  challenge: PogChallenge,
  attempt: number,
  proof: SessionResult,
): { readonly bytes: Buffer; readonly message: VerificationMessage } {
  const bytes = encodeBundle(bundleOf(challenge, attempt, proof, deps.now?.() ?? new Date()));
  const message: VerificationMessage = {
    version: 1,
    netuid: challenge.netuid,
    roundId: challenge.roundId,
    hotkey: challenge.hotkey,
    uid: challenge.uid,
    attempt,
    bundleKey: bundleKey(challenge.roundId, challenge.hotkey, attempt),
    bundleBytes: bytes.length,
    bundleSha256: bundleDigest(bytes),
  };
  return { bytes, message };
}

/**
 * Sends the hand-over's verification message and marks it sent. Sending twice is harmless: the
 * verifier's final write is conditional, so a second message for one bundle records nothing more.
 */
async function sendVerification(deps: WorkerDeps, message: VerificationMessage, body: string): Promise<void> {
  await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.verificationQueueUrl, MessageBody: body }));
  await deps.outcomes.markHandOverSent(message.roundId, message.hotkey, message.bundleKey);
}

/**
 * Hands a passed attempt to the verifier, resumable at every step without a second session: the
 * `verifying` mark records the message first (a redelivery then never starts a session), the bundle is
 * put, the message sent and marked sent. A crash after the mark leaves the message unsent, and the
 * redelivery sends it ({@link resumeHandOver}): the verifier checks the bundle, or fails the pair if the
 * put never landed. A put that fails here undoes the mark, so the redelivery runs a new session.
 * Not `marked` when the pair was already final or held another attempt's bundle: nothing was put.
 */
async function handOver(
  deps: WorkerDeps,
  challenge: PogChallenge,
  attempt: number,
  proof: SessionResult,
): Promise<{ readonly marked: false } | { readonly marked: true; readonly bundleKey: string }> {
  const { bytes, message } = bundleAndMessage(deps, challenge, attempt, proof);
  const { roundId, hotkey } = challenge;
  const body = JSON.stringify(message);
  if (!(await deps.outcomes.markVerifying(roundId, hotkey, message.bundleKey, body)))
    return { marked: false };
  try {
    await putBundle(deps.s3, deps.bundleBucket, message.bundleKey, bytes);
  } catch (error) {
    await deps.outcomes.abandonHandOver(roundId, hotkey, message.bundleKey);
    throw error;
  }
  await sendVerification(deps, message, body);
  return { marked: true, bundleKey: message.bundleKey };
}

/**
 * A delivery that finds the pair `verifying`: finishes a hand-over a crash interrupted (its message
 * unsent) once the invocation that began it has surely ended, then makes sure the round's verifier
 * runs (a crash or a failed SubmitJob may have left it unstarted).
 */
async function resumeHandOver(
  deps: WorkerDeps,
  delivery: ChallengeDelivery,
  challenge: PogChallenge,
  state: AttemptState,
  nowMs: number,
): Promise<ChallengeResult> {
  if (state.handOver !== undefined && state.handOverSentAt === undefined) {
    // the invocation handing it over may still be putting the bundle: a message now could reach the
    // verifier before the bundle does
    if (state.leaseUntil !== undefined && state.leaseUntil > nowMs / 1000) {
      return defer(deps, delivery, challenge, state.leaseUntil, nowMs);
    }
    const message = parseVerificationMessage(state.handOver);
    await sendVerification(deps, message, state.handOver);
    deps.log?.warn('interrupted hand-over finished: verification message sent', {
      roundId: challenge.roundId,
      hotkey: challenge.hotkey,
      attempt: message.attempt,
      bundleKey: message.bundleKey,
    });
  }
  await startVerifier(deps, challenge.roundId, sessionsUntil(challenge.attemptsUntil));
  return { status: 'duplicate', challenge, state: 'verifying' };
}

/** Another invocation's session (or hand-over) may still run: this delivery comes back after its lease. */
async function defer(
  deps: WorkerDeps,
  delivery: ChallengeDelivery,
  challenge: PogChallenge,
  leaseUntil: number,
  nowMs: number,
): Promise<ChallengeResult> {
  const retryInSeconds = Math.min(
    MAX_VISIBILITY_SECONDS,
    Math.max(1, Math.ceil(leaseUntil - nowMs / 1000) + 1),
  );
  await setVisibility(deps, delivery, retryInSeconds);
  deps.log?.info('session of this miner in progress elsewhere, retry later', {
    roundId: challenge.roundId,
    hotkey: challenge.hotkey,
    retryInSeconds,
  });
  return { status: 'deferred', challenge, retryInSeconds };
}

/** A delivery that a failed condition told the pair is past attempting: where does it stand now? */
async function pastAttempting(
  deps: WorkerDeps,
  delivery: ChallengeDelivery,
  challenge: PogChallenge,
): Promise<ChallengeResult> {
  const state = await deps.outcomes.attemptState(challenge.roundId, challenge.hotkey);
  const nowMs = nowMsOf(deps);
  if (state?.state === 'final') return { status: 'duplicate', challenge, state: 'final' };
  if (state?.state === 'verifying') return resumeHandOver(deps, delivery, challenge, state, nowMs);
  // attempting again (its hand-over was undone since): look again once any lease has ended
  return defer(deps, delivery, challenge, state?.leaseUntil ?? 0, nowMs);
}

/**
 * One delivery of a challenge = at most one PoG attempt. Skips pairs that already have a final row
 * (or a bundle at the verifier, finishing a hand-over a crash interrupted), waits out another
 * invocation's live session, counts the attempt durably before it runs, and then: a passed attempt
 * goes to S3 and the verification queue ({@link handOver}) and the round's verifier is started; a miner fault
 * is retried by SQS redelivery after the retry interval (this message's visibility), or, once the
 * attempts are spent, ends in one failure row with the last reason. A body that is no challenge goes
 * to the DLQ at once (no redelivery can mend it); our own faults throw, so SQS retries them (and
 * dead-letters them after maxReceiveCount).
 */
export async function processChallenge(
  deps: WorkerDeps,
  delivery: ChallengeDelivery,
  signal?: AbortSignal,
): Promise<ChallengeResult> {
  let challenge: PogChallenge;
  try {
    challenge = decodeChallenge(delivery.body, { allowPrivateAddresses: deps.allowPrivateAddresses });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return refuse(deps, delivery, error.message);
  }
  const { roundId, hotkey } = challenge;
  const nowMs = nowMsOf(deps);
  const state = await deps.outcomes.attemptState(roundId, hotkey);
  if (state?.state === 'final') return { status: 'duplicate', challenge, state: 'final' };
  if (state?.state === 'verifying') return resumeHandOver(deps, delivery, challenge, state, nowMs);

  if (challenge.attemptsUntil !== undefined && nowMs / 1000 >= challenge.attemptsUntil) {
    // a twin's session may still be running (a resumed fan-out's copy has a later window): its
    // outcome, not this window, ends the pair, so look again once its invocation has ended
    if (state?.leaseUntil !== undefined && state.leaseUntil > nowMs / 1000) {
      return defer(deps, delivery, challenge, state.leaseUntil, nowMs);
    }
    // the round's window for this miner is over: its row now, so the round can end on time
    const attempts = state?.attempts ?? 0;
    const last = state?.lastReason === undefined ? '' : `: ${state.lastReason}`;
    return exhausted(
      deps,
      challenge,
      attempts,
      `round attempt window closed after ${attempts} attempt(s)${last}`,
      0,
    );
  }
  const deadlineMs =
    delivery.invocationDeadline?.getTime() ?? nowMs + CHALLENGE_QUEUE.workerTimeoutSeconds * 1000;
  const start = await deps.outcomes.beginAttempt(
    roundId,
    hotkey,
    deps.retryLimit,
    Math.ceil(deadlineMs / 1000),
  );
  if (start.kind === 'leased') {
    // a twin delivery: its session may still be alive, so this one waits until that invocation ended
    return defer(deps, delivery, challenge, start.leaseUntil, nowMs);
  }
  if (start.kind === 'past') {
    // a twin handed its bundle over (or the pair was finalized) since the state was read
    return pastAttempting(deps, delivery, challenge);
  }
  if (start.kind === 'closed') {
    // the limit was reached by an invocation that died before writing the failure row
    const reason = state?.lastReason ?? 'attempt limit reached';
    return exhausted(deps, challenge, state?.attempts ?? deps.retryLimit, reason, 0);
  }
  const attempt = start.attempt;

  let result: AttemptResult;
  try {
    result = await deps.runner.attempt(challenge, signal, allocationLedger(deps.outcomes, challenge));
  } catch (error) {
    // our own fault (hotkey, payload, abort before start): not the miner's attempt
    await deps.outcomes.refundAttempt(roundId, hotkey);
    throw error;
  }

  if (result.kind === 'passed') {
    const handed = await handOver(deps, challenge, attempt, result.proof);
    if (!handed.marked) {
      // only a lease's expiry lets this happen (a twin finished the pair meanwhile): no second bundle
      deps.log?.warn('passed attempt not handed over: the pair is final or holds another bundle', {
        roundId,
        hotkey,
        attempt,
      });
      return pastAttempting(deps, delivery, challenge);
    }
    const verifierJobId = await startVerifier(deps, roundId, sessionsUntil(challenge.attemptsUntil));
    deps.log?.info('bundle queued', { roundId, hotkey, attempt, bundleKey: handed.bundleKey, verifierJobId });
    return {
      status: 'verifying',
      challenge,
      attempt,
      bundleKey: handed.bundleKey,
      verifierJobId,
      minerMs: result.minerMs,
    };
  }

  await deps.outcomes.noteFault(roundId, hotkey, result.reason);
  if (attempt < deps.retryLimit) {
    await setVisibility(deps, delivery, Math.round(deps.retryIntervalS));
    deps.log?.info('attempt failed, retry later', { roundId, hotkey, attempt, reason: result.reason });
    return { status: 'retry', challenge, attempt, reason: result.reason, minerMs: result.minerMs };
  }
  return exhausted(deps, challenge, attempt, result.reason, result.durationMs, result.minerMs);
}

/** The miner's allocation ledger on the coordination table (lib/pog/session.ts AllocationLedger). */
function allocationLedger(outcomes: WorkerDeps['outcomes'], challenge: PogChallenge): AllocationLedger {
  return {
    open: () => outcomes.openAllocation(challenge.hotkey),
    allocating: (publicKey) => outcomes.noteAllocating(challenge.hotkey, challenge.roundId, publicKey),
    released: (publicKey) => outcomes.noteReleased(challenge.hotkey, publicKey),
  };
}

/** Dead-letters a body that is no challenge, with its reason; the caller then deletes the delivery. */
async function refuse(
  deps: WorkerDeps,
  delivery: ChallengeDelivery,
  reason: string,
): Promise<ChallengeResult> {
  const bounded = reason.slice(0, 500);
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.challengeDlqUrl,
      // the body was size-checked or is refused for its size: keep at most what a challenge may be
      MessageBody: delivery.body.slice(0, MAX_CHALLENGE_BODY_BYTES) || '(empty)',
      MessageAttributes: { reason: { DataType: 'String', StringValue: bounded } },
    }),
  );
  return { status: 'refused', reason: bounded };
}

function nowMsOf(deps: WorkerDeps): number {
  return (deps.now?.() ?? new Date()).getTime();
}

/** SQS's largest visibility timeout (12 h). */
const MAX_VISIBILITY_SECONDS = 43_200;

async function setVisibility(deps: WorkerDeps, delivery: ChallengeDelivery, seconds: number): Promise<void> {
  await deps.sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: deps.challengeQueueUrl,
      ReceiptHandle: delivery.receiptHandle,
      VisibilityTimeout: Math.max(0, Math.min(MAX_VISIBILITY_SECONDS, seconds)),
    }),
  );
}

async function exhausted(
  deps: WorkerDeps,
  challenge: PogChallenge,
  attempts: number,
  reason: string,
  durationMs: number,
  minerMs?: number,
): Promise<ChallengeResult> {
  const written = await deps.outcomes.recordFailure({
    hotkey: challenge.hotkey,
    uid: challenge.uid,
    roundId: challenge.roundId,
    attempts,
    durationMs,
    error: reason,
  });
  deps.log?.info('attempts exhausted', {
    roundId: challenge.roundId,
    hotkey: challenge.hotkey,
    attempts,
    reason,
    row: written,
  });
  return {
    status: 'failed',
    challenge,
    attempt: attempts,
    reason,
    recorded: written === 'recorded',
    ...(minerMs !== undefined ? { minerMs } : {}),
  };
}
