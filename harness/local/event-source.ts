import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Lambda's side of the emulator, shared by the local cycle and the integration fixtures: a handler
 * context and the SQS event source, played against a real (emulated) queue.
 */

/** A Lambda context for an in-process invocation; `remainingMs` is its deadline as the handler reads it. */
export function fakeLambdaContext(
  functionName: string,
  remainingMs: () => number,
  awsRequestId = functionName,
): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  } as unknown as Context;
}

export interface EventSourceOptions {
  /** Records per invocation (the event source mapping's batch size). */
  readonly batchSize: number;
  /** Concurrent pollers (the mapping's maximum concurrency). */
  readonly lanes: number;
  /** Receives per lane before it stops, so a message that never succeeds cannot spin forever. */
  readonly maxRounds: number;
  /**
   * When set, an empty receive is followed by one long poll of this many seconds before the lane
   * stops: a delivery deferred (its visibility set by the worker) or made visible again comes back
   * within it. Unset: the first empty receive ends the lane.
   */
  readonly idleWaitS?: number;
  /**
   * An invocation that throws: `redeliver` counts it as failed and makes its records visible again at
   * once (a killed process: no response reaches the event source); `throw` ends the drain with it.
   */
  readonly onThrow: 'redeliver' | 'throw';
}

export interface EventSourceSummary {
  readonly invocations: number;
  /** Invocations that threw (with `onThrow: 'redeliver'`). */
  readonly failedInvocations: number;
  /** Records the handlers reported as failed (batchItemFailures). */
  readonly reported: number;
}

/**
 * Plays the Lambda SQS event source against a real queue: receive, invoke, delete what succeeded,
 * until the queue stays empty. A reported failure is left as the event source leaves it: it comes
 * back when the visibility the handler gave it ends (the worker sets the retry interval, or a twin's
 * wait for the session lease), so a deferred delivery is not received over and over towards
 * maxReceiveCount, where moto dead-letters it. A whole failed invocation is made visible again at
 * once instead of waiting out the queue's visibility timeout.
 */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse>,
  options: EventSourceOptions,
): Promise<EventSourceSummary> {
  let invocations = 0;
  let failedInvocations = 0;
  let reported = 0;
  const lane = async (): Promise<void> => {
    for (let round = 0; round < options.maxRounds; round++) {
      let out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: options.batchSize }),
      );
      if ((out.Messages ?? []).length === 0 && options.idleWaitS !== undefined) {
        out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: options.idleWaitS,
          }),
        );
      }
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      invocations++;
      let failed: Set<string>;
      let thrown = false;
      try {
        const response = await invoke({ Records: messages.map(recordOf) });
        failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        reported += failed.size;
      } catch (error) {
        if (options.onThrow === 'throw') throw error;
        failedInvocations++;
        thrown = true;
        failed = new Set(messages.map((m) => m.MessageId ?? ''));
      }
      const ok = messages.filter((m) => !failed.has(m.MessageId ?? ''));
      // only a thrown invocation's records: reported failures keep the visibility their handler set
      const retry = thrown ? messages : [];
      if (ok.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
      }
      if (retry.length > 0) {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: retry.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle ?? '',
              VisibilityTimeout: 0,
            })),
          }),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, lane));
  return { invocations, failedInvocations, reported };
}

/** A received message as the event source hands it to the function. */
function recordOf(m: Message): SQSRecord {
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {} as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: '',
    awsRegion: process.env.AWS_REGION ?? 'us-east-1',
  };
}
