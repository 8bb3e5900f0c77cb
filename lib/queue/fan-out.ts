import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mapLimit } from '../concurrency.js';
import { PogValidatorError } from '../errors.js';
import type { AddressPolicy } from '../net/public-address.js';
import { assertContactable, encodeChallenge, type PogChallenge } from './challenge.js';

/** SendMessageBatch takes at most 10 entries. */
const SQS_BATCH_LIMIT = 10;
/** SQS caps DelaySeconds at 900, the reference's max_random_delay (§4.1). */
export const MAX_DELAY_SECONDS = 900;

export class QueueError extends PogValidatorError {}

export interface FanOutOptions extends AddressPolicy {
  /** Delay every message by this many seconds (the round's jitter). */
  readonly delaySeconds?: number;
  /** SendMessageBatch calls in flight at once. */
  readonly concurrency?: number;
}

export interface FanOutResult {
  readonly sent: number;
  readonly requests: number;
}

/**
 * Enqueues one message per challenge with SendMessageBatch (10 per call, a few calls in flight),
 * re-sending entries SQS reports as failed once; throws {@link QueueError} naming the hotkeys that
 * still failed, so the caller can leave the round to be retried. A challenge whose axon is not public
 * (the queryable filter should have dropped it) throws {@link ValidationError} before anything is sent.
 */
export async function enqueueChallenges(
  sqs: SQSClient,
  queueUrl: string,
  challenges: readonly PogChallenge[],
  options: FanOutOptions = {},
): Promise<FanOutResult> {
  for (const challenge of challenges) assertContactable(challenge, options);
  const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.floor(options.delaySeconds ?? 0)));
  const chunks: PogChallenge[][] = [];
  for (let i = 0; i < challenges.length; i += SQS_BATCH_LIMIT) {
    chunks.push(challenges.slice(i, i + SQS_BATCH_LIMIT));
  }
  let requests = 0;
  const failed: string[] = [];
  const sendChunk = async (chunk: PogChallenge[]): Promise<void> => {
    let pending = chunk.map((challenge, i) => ({ id: String(i), challenge }));
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: pending.map(({ id, challenge }) => ({
            Id: id,
            MessageBody: encodeChallenge(challenge),
            ...(delay > 0 ? { DelaySeconds: delay } : {}),
          })),
        }),
      );
      requests++;
      const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
      pending = pending.filter((p) => failedIds.has(p.id));
    }
    failed.push(...pending.map((p) => p.challenge.hotkey));
  };
  await mapLimit(chunks, Math.max(1, Math.floor(options.concurrency ?? 8)), sendChunk);
  if (failed.length > 0) {
    throw new QueueError(
      `${failed.length} challenges could not be enqueued: ${failed.slice(0, 5).join(', ')}`,
    );
  }
  return { sent: challenges.length, requests };
}
