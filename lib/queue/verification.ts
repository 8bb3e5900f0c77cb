import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface QueueMessage {
  readonly body: string;
  readonly receiptHandle: string;
}

/** The verification queue as the verifier uses it. */
export interface VerificationQueuePort {
  receive(maxMessages: number, waitSeconds: number): Promise<QueueMessage[]>;
  delete(receiptHandle: string): Promise<void>;
  /** Sends a copy of a poison message to the DLQ with the reason, for the operator. */
  deadLetter(body: string, reason: string): Promise<void>;
}

/** The verification queue on SQS: long-polling receive, delete after recording, a DLQ copy for poison. */
export function createSqsVerificationQueue(
  sqs: SQSClient,
  urls: { readonly queueUrl: string; readonly dlqUrl: string },
): VerificationQueuePort {
  return {
    async receive(maxMessages, waitSeconds) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: urls.queueUrl,
          MaxNumberOfMessages: Math.min(Math.max(maxMessages, 1), 10),
          WaitTimeSeconds: Math.min(Math.max(waitSeconds, 0), 20),
        }),
      );
      const messages: QueueMessage[] = [];
      for (const m of out.Messages ?? []) {
        if (m.ReceiptHandle !== undefined)
          messages.push({ body: m.Body ?? '', receiptHandle: m.ReceiptHandle });
      }
      return messages;
    },
    async delete(receiptHandle) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: urls.queueUrl, ReceiptHandle: receiptHandle }));
    },
    async deadLetter(body, reason) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: urls.dlqUrl,
          // a message body is at most 256 KiB; a poison body is bounded by its queue's limit already
          MessageBody: body.length > 0 ? body : '(empty body)',
          MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 500) } },
        }),
      );
    },
  };
}
