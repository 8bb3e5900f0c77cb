import * as z from 'zod';
import type { PogChallenge } from '../ports.js';

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
}) satisfies z.ZodType<PogChallenge>;

/** Largest body we accept before even parsing JSON (a real challenge is ~200 bytes). */
export const MAX_CHALLENGE_BODY_BYTES = 4096;

/**
 * The challenge queue's settings: one source for the CDK stack and the local cycle. AWS asks for a
 * visibility timeout of at least 6× the consumer's timeout, so a slow batch is not redelivered mid-flight.
 */
export const CHALLENGE_QUEUE = {
  workerTimeoutSeconds: 60,
  visibilityTimeoutSeconds: 6 * 60,
  maxReceiveCount: 3,
  dlqRetentionSeconds: 14 * 24 * 3600,
} as const;
