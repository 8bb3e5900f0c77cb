import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A queue's approximate message counts (SQS's own figures, seconds stale at most). */
export interface QueueDepth {
  /** Visible now. */
  readonly waiting: number;
  /** Received and not yet deleted (a session or a verification at work, or a retry's visibility wait). */
  readonly inFlight: number;
  /** Sent with a delay (the fan-out's jitter) and not yet visible. */
  readonly delayed: number;
}

const countOf = (value: string | undefined): number => {
  const n = Number(value ?? '0');
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

/** Reads `queueUrl`'s counts; a count SQS leaves out or garbles reads as 0. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    waiting: countOf(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: countOf(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
    delayed: countOf(out.Attributes?.ApproximateNumberOfMessagesDelayed),
  };
}

/** Messages `queueUrl` holds in any state (for the challenge queue: the sessions not yet over). */
export async function messagesIn(sqs: SQSClient, queueUrl: string): Promise<number> {
  const depth = await queueDepth(sqs, queueUrl);
  return depth.waiting + depth.inFlight + depth.delayed;
}
