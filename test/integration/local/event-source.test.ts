import { ChangeMessageVisibilityCommand, CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { drainQueue, type EventSourceOptions } from '../../../harness/local/event-source.js';
import { clients, messagesIn, uniquePrefix } from '../pipeline/fixtures.js';

/**
 * The SQS event source the local cycle plays against moto: a reported failure comes back when the
 * visibility its handler set ends, a thrown invocation is redelivered at once or ends the drain, and
 * the idle long poll picks up a delivery that only becomes visible after the queue looked empty.
 */
describe('SQS event source on moto (harness/local/event-source.ts)', () => {
  const c = clients(inject('motoEndpoint'));
  const WORKER: EventSourceOptions = { batchSize: 1, lanes: 1, maxRounds: 50, onThrow: 'redeliver' };

  async function queueWith(bodies: string[], delaySeconds = 0): Promise<string> {
    const out = await c.sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix('es') }));
    const queueUrl = out.QueueUrl ?? '';
    for (const body of bodies) {
      await c.sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: delaySeconds }),
      );
    }
    return queueUrl;
  }

  /**
   * A handler that fails on each body's first delivery and succeeds after: it throws, or it reports the
   * record failed after setting its visibility to `retryInS`, as the worker does (retry interval, or a
   * twin's wait for the session lease).
   */
  function failingOnce(how: 'report' | 'throw', queueUrl = '', retryInS = 0) {
    const seen = new Map<string, number>();
    const invoke = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const failures = event.Records.filter((r) => {
        const n = (seen.get(r.body) ?? 0) + 1;
        seen.set(r.body, n);
        return n === 1;
      });
      if (failures.length > 0 && how === 'throw') throw new Error('killed');
      for (const r of failures) {
        await c.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: r.receiptHandle,
            VisibilityTimeout: retryInS,
          }),
        );
      }
      return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    return { seen, invoke };
  }

  it('redelivers a reported failure when the visibility its handler set ends, and deletes what succeeded', async () => {
    // Prepare: one queue whose handler retries at once, one whose handler defers by a minute
    const atOnce = await queueWith(['a', 'b']);
    const deferred = await queueWith(['c']);
    const retrying = failingOnce('report', atOnce, 0);
    const deferring = failingOnce('report', deferred, 60);
    // Act
    const summary = await drainQueue(c.sqs, atOnce, retrying.invoke, WORKER);
    const waited = await drainQueue(c.sqs, deferred, deferring.invoke, { ...WORKER, idleWaitS: 1 });
    // Assess: the deferred record was received once, not spun towards the DLQ
    expect(summary).toEqual({ invocations: 4, failedInvocations: 0, reported: 2 });
    expect([...retrying.seen.values()]).toEqual([2, 2]);
    expect(await messagesIn(c.sqs, atOnce)).toBe(0);
    expect(waited).toEqual({ invocations: 1, failedInvocations: 0, reported: 1 });
    expect([...deferring.seen.values()]).toEqual([1]);
    expect(await messagesIn(c.sqs, deferred)).toBe(1);
  });

  it('counts an invocation that throws as failed and redelivers its records', async () => {
    // Prepare
    const queueUrl = await queueWith(['a']);
    const handler = failingOnce('throw');
    // Act
    const summary = await drainQueue(c.sqs, queueUrl, handler.invoke, WORKER);
    // Assess
    expect(summary).toEqual({ invocations: 2, failedInvocations: 1, reported: 0 });
    expect(await messagesIn(c.sqs, queueUrl)).toBe(0);
  });

  it("ends the drain with the handler's error when told to throw", async () => {
    // Prepare
    const queueUrl = await queueWith(['a']);
    const handler = failingOnce('throw');
    // Act
    const drained = drainQueue(c.sqs, queueUrl, handler.invoke, { ...WORKER, onThrow: 'throw' });
    // Assess
    await expect(drained).rejects.toThrow('killed');
  });

  it('long-polls an idle queue for a delivery that becomes visible later, and stops at once without', async () => {
    // Prepare: a handler that succeeds
    const ok = async (): Promise<SQSBatchResponse> => ({ batchItemFailures: [] });
    // Act: each queue's one message is delayed past its drain's first (empty) receive
    const without = await queueWith(['late'], 2);
    const stopped = await drainQueue(c.sqs, without, ok, WORKER);
    const withWait = await queueWith(['late'], 2);
    const waited = await drainQueue(c.sqs, withWait, ok, { ...WORKER, idleWaitS: 5 });
    // Assess
    expect(waited.invocations).toBe(1);
    expect(await messagesIn(c.sqs, withWait)).toBe(0);
    expect(stopped.invocations).toBe(0);
    expect(await messagesIn(c.sqs, without)).toBe(1);
  });
});
