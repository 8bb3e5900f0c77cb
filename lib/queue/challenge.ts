import * as z from 'zod';
import { ValidationError } from '../errors.js';
import type { Log } from '../log.js';
import { type AddressPolicy, contactProblem } from '../net/public-address.js';
import { parseWith } from '../validation.js';

/**
 * One PoG challenge: the challenge queue's message body. This module is its one home: the type, the
 * schema, the size bound and the SQS encoding both ways (the sync encodes, the worker decodes).
 */
export interface PogChallenge {
  readonly netuid: number;
  readonly roundId: string;
  readonly uid: number;
  readonly hotkey: string;
  readonly axon: { readonly ip: string; readonly port: number; readonly version: number };
  /**
   * Epoch seconds (our clock, set at fan-out) after which no new attempt starts for this miner: its
   * failure row is written instead, so every miner has its row before the next round is due.
   * Absent on messages from before this field existed: the attempt limit alone bounds them.
   */
  readonly attemptsUntil?: number;
}

/** SQS bodies are untrusted: bounded sizes, integral ports and uids. */
export const PogChallengeSchema = z.object({
  netuid: z.number().int().min(0).max(65_535),
  roundId: z.string().min(1).max(128),
  uid: z.number().int().min(0).max(65_535),
  hotkey: z.string().min(1).max(64),
  axon: z.object({
    ip: z.string().min(1).max(64),
    port: z.number().int().min(1).max(65_535),
    version: z.number().int().nonnegative(),
  }),
  attemptsUntil: z.number().int().positive().optional(),
}) satisfies z.ZodType<PogChallenge>;

/** Largest body we accept before even parsing JSON (a real challenge is ~200 bytes). */
export const MAX_CHALLENGE_BODY_BYTES = 4096;

/** The SQS message body of a challenge. */
export function encodeChallenge(challenge: PogChallenge): string {
  return JSON.stringify(challenge);
}

/**
 * Throws {@link ValidationError} when the challenge's axon may not be contacted under `policy`. The
 * axon comes from the chain, i.e. from the miner, and the worker contacts it from inside our account.
 */
export function assertContactable(challenge: PogChallenge, policy: AddressPolicy = {}): void {
  const problem = contactProblem(challenge.axon.ip, policy);
  if (problem !== null) {
    const issue = `axon.ip: ${problem}`;
    throw new ValidationError(`invalid challenge for uid ${challenge.uid}: ${issue}`, [issue]);
  }
}

/**
 * Parses an SQS body (size-bounded JSON, then zod, then the axon address: only public IPs unless
 * `policy` is the local harness's); throws {@link ValidationError}.
 */
export function decodeChallenge(body: string, policy: AddressPolicy = {}): PogChallenge {
  if (Buffer.byteLength(body, 'utf8') > MAX_CHALLENGE_BODY_BYTES) {
    throw new ValidationError(`challenge body exceeds ${MAX_CHALLENGE_BODY_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ValidationError('challenge body is not JSON');
  }
  const challenge = parseWith(PogChallengeSchema, json, 'challenge');
  assertContactable(challenge, policy);
  return challenge;
}

/** Redeliveries a challenge may take for our own faults (crash, throttling) on top of its miner attempts. */
export const INFRASTRUCTURE_RETRIES = 5;

/**
 * The largest `pog_retry_limit` the worker honours (the reference's default is 22; its compute config
 * uses 30). The limit is read live, but the challenge queue's maxReceiveCount is fixed at deploy and
 * derived from this maximum: a limit above it would let SQS dead-letter a failing miner before its
 * failure row is written.
 */
export const MAX_POG_RETRY_LIMIT = 30;

/**
 * The challenge queue's and the worker's settings: one source for the CDK stack and the local cycle.
 * One delivery is one PoG attempt, so the worker's timeout covers one attempt's deadline (the
 * engine's default `attemptTimeoutS`) plus the clean-up the attempt waits for after it (lib/pog/config.ts
 * `sessionCleanupS`: 3 deallocation tries of 15 s, 5 s apart, and 5 s) and 60 s for the S3, SQS and
 * Batch calls after it; the visibility timeout exceeds it, so a running attempt is never
 * delivered twice, yet a crashed invocation is retried within minutes.
 */
export const CHALLENGE_QUEUE = {
  attemptDeadlineSeconds: 300,
  workerTimeoutSeconds: 420,
  visibilityTimeoutSeconds: 480,
  /** Above the most miner attempts the worker allows, so only our own repeated faults dead-letter. */
  maxReceiveCount: MAX_POG_RETRY_LIMIT + INFRASTRUCTURE_RETRIES,
  dlqRetentionSeconds: 14 * 24 * 3600,
  /** Records per worker invocation: one attempt each, so no two sessions share an invocation's clock. */
  workerBatchSize: 1,
  /** Worker invocations at once (the event source's maximum concurrency) unless the deploy sets it; the reference's worker pool is 64. */
  defaultWorkerConcurrency: 64,
} as const;

/**
 * The attempts per (round, hotkey) the worker uses: the live `pog_retry_limit`, cut to
 * {@link MAX_POG_RETRY_LIMIT} with a warning, since the deployed queue's maxReceiveCount cannot follow
 * a larger one.
 */
export function workerRetryLimit(configured: number, log?: Log): number {
  if (configured <= MAX_POG_RETRY_LIMIT) return configured;
  log?.warn('pog_retry_limit above what the challenge queue allows, using the maximum', {
    configured,
    used: MAX_POG_RETRY_LIMIT,
    maxReceiveCount: CHALLENGE_QUEUE.maxReceiveCount,
  });
  return MAX_POG_RETRY_LIMIT;
}
