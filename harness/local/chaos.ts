import { AsyncLocalStorage } from 'node:async_hooks';
import type { BatchClient } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PogAttemptRunner } from '../../lib/pog/index.js';
import type { VerificationQueuePort } from '../../lib/queue/verification.js';
import { fakeLambdaContext } from './event-source.js';
import type { WsProxy } from './ws-proxy.js';

/** `--chaos`: how far into its session the timed-out worker invocation is cut off. */
const CHAOS_TIMEOUT_AFTER_MS = 1_500;

/** What an injected fault throws: a process the harness killed, or an invocation it cut off. */
export class ChaosKill extends Error {}

export interface ChaosReport {
  readonly workerKills: number;
  readonly duplicateDeliveries: number;
  readonly dynamoThrottles: number;
  /** Verifiers killed mid-queue (a received message never recorded). */
  readonly jobCrashes: number;
  /** Worker invocations that ran out of time mid-session (the attempt counted, no result). */
  readonly workerTimeouts: number;
  readonly chainDrops: number;
  /** Weight extrinsics the node accepted during the cycle. */
  readonly weightSubmissions: number;
  /** Challenges enqueued vs miners with exactly one final row: equal means none lost or doubled. */
  readonly challenges: number;
  readonly resultsRecorded: number;
}

type WorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The faults `--chaos` injects into one local cycle, each once, and their counts. Without `--chaos`
 * the same wrappers are in place and inert, so both runs take the same paths.
 *
 * - DynamoDB: one throttle inside the SDK's retry loop ({@link throttleDynamo}, {@link armThrottle}).
 * - Worker: killed at the round's SubmitJob ({@link killingBatch}); one invocation runs out of Lambda
 *   time mid-session ({@link timingOutRunner}); both show in {@link invokeWorker}.
 * - SQS: one challenge delivered twice ({@link duplicateDelivery}).
 * - Verifier: killed after receiving a message, before recording it ({@link dyingVerifierQueue}).
 * - Chain: the connection dropped after the node accepted the weight extrinsic ({@link dropChainOnSubmission}).
 */
export class Chaos {
  private readonly counts = { workerKills: 0, duplicateDeliveries: 0, jobCrashes: 0, workerTimeouts: 0 };
  private readonly throttle = { pending: false, injected: 0 };
  // killed at the round's one SubmitJob: after the bundle hand-over, before the verifier start
  private readonly kill: { armed: boolean; afterSubmits: number; submits: number; fired: boolean };
  private readonly timeout: { armed: boolean; spare?: string; target?: string };
  private readonly invocation = new AsyncLocalStorage<{ cutAt?: number; expire: () => void }>();

  /** @param enabled `--chaos` */
  constructor(readonly enabled: boolean) {
    this.kill = { armed: enabled, afterSubmits: 0, submits: 0, fired: false };
    this.timeout = { armed: enabled };
  }

  /** Installs the throttle on a DynamoDB client (the document clients built from it share its stack). */
  throttleDynamo(ddb: DynamoDBClient): void {
    ddb.middlewareStack.add(
      (next) => async (args) => {
        if (this.throttle.pending) {
          this.throttle.pending = false;
          this.throttle.injected++;
          // Inside the SDK's retry loop: the standard strategy must absorb one throttle.
          throw Object.assign(new Error('chaos: request throttled'), {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400, attempts: 1 },
          });
        }
        return next(args);
      },
      { step: 'deserialize', name: 'chaosThrottle', priority: 'low' },
    );
  }

  /** With `--chaos`, the next DynamoDB request is throttled once. */
  armThrottle(): void {
    this.throttle.pending = this.enabled;
  }

  /** The worker's Batch client: its first SubmitJob kills the invocation (see {@link invokeWorker}). */
  killingBatch(batch: BatchClient): BatchClient {
    const kill = this.kill;
    return new Proxy(batch, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: { constructor: { name: string } }) => {
          if (kill.armed && command.constructor.name === 'SubmitJobCommand') {
            if (kill.submits >= kill.afterSubmits) {
              kill.armed = false;
              kill.fired = true;
              throw new ChaosKill('chaos: worker killed');
            }
            kill.submits++;
          }
          return target.send(command as never);
        };
      },
    });
  }

  /**
   * The worker's attempt runner. One invocation runs out of Lambda time mid-session: its context says
   * so (its deadline is the cut, which is also how long its session's lease holds); at the cut its
   * session is aborted (the miner's allocation released) and the invocation never answers, like a
   * process the runtime stopped. It hits `target`'s delivery, and never the duplicated delivery's
   * miner, so one miner carries one fault; `target` should be a valid miner (a cheat's reason would
   * then name the fault, not its cheat). Undefined: the first delivery that qualifies.
   */
  timingOutRunner(runner: PogAttemptRunner, target: string | undefined): PogAttemptRunner {
    this.timeout.target = target;
    return {
      ...runner,
      attempt: (challenge, signal, ledger) => {
        const current = this.invocation.getStore();
        if (current?.cutAt === undefined) return runner.attempt(challenge, signal, ledger);
        const cut = new AbortController();
        const session = runner.attempt(challenge, cut.signal, ledger).catch(() => undefined);
        setTimeout(
          () => {
            cut.abort();
            // the allocation is released before the invocation ends (the miner would otherwise stay
            // busy until its own lease runs out, longer than this cycle waits)
            void session.then(() => {
              this.counts.workerTimeouts++;
              current.expire();
            });
          },
          Math.max(0, current.cutAt - Date.now()),
        );
        return new Promise<never>(() => {});
      },
    };
  }

  /**
   * One worker invocation as the runtime makes it: a context whose deadline is `invocationMs` away,
   * or the cut for the invocation chosen to time out (it then rejects, never answering). A worker
   * killed at SubmitJob rejects too: no response reaches the event source.
   */
  async invokeWorker(
    handler: WorkerHandler,
    event: SQSEvent,
    invocationMs: number,
  ): Promise<SQSBatchResponse> {
    const hotkey = hotkeyOf(event);
    const timeout = this.timeout;
    const cut =
      timeout.armed &&
      hotkey !== undefined &&
      hotkey !== timeout.spare &&
      (timeout.target === undefined || hotkey === timeout.target);
    if (cut) timeout.armed = false;
    const deadline = Date.now() + (cut ? CHAOS_TIMEOUT_AFTER_MS : invocationMs);
    const context = fakeLambdaContext('local', () => Math.max(0, deadline - Date.now()));
    let expire = (): void => {};
    const timedOut = new Promise<never>((_, reject) => {
      expire = () => reject(new ChaosKill('chaos: worker invocation timed out'));
    });
    timedOut.catch(() => undefined);
    const response = await this.invocation.run({ ...(cut ? { cutAt: deadline } : {}), expire }, () =>
      Promise.race([handler(event, context), timedOut]),
    );
    if (this.kill.fired) {
      // the process died: no response reaches the event source
      this.kill.fired = false;
      this.counts.workerKills++;
      throw new ChaosKill('chaos: worker killed mid-batch');
    }
    return response;
  }

  /**
   * With `--chaos`: the first challenge received from the queue is delivered twice (a copy sent, the
   * original made visible again). Its miner is spared the invocation timeout.
   */
  async duplicateDelivery(sqs: SQSClient, queueUrl: string): Promise<void> {
    if (!this.enabled) return;
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }));
    const message = first.Messages?.[0];
    if (message?.Body === undefined) return;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.Body }));
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: '0', ReceiptHandle: message.ReceiptHandle ?? '', VisibilityTimeout: 0 }],
      }),
    );
    this.counts.duplicateDeliveries++;
    this.timeout.spare = (JSON.parse(message.Body) as { hotkey?: string }).hotkey;
  }

  /**
   * With `--chaos`: a verifier that dies on its first message, received and never recorded (the
   * signal stops its drain); the visibility timeout hands the message to a later verifier.
   * Undefined without `--chaos`.
   */
  dyingVerifierQueue(
    queue: VerificationQueuePort,
  ): { queue: VerificationQueuePort; signal: AbortSignal } | undefined {
    if (!this.enabled) return undefined;
    const stop = new AbortController();
    const counts = this.counts;
    return {
      signal: stop.signal,
      queue: {
        ...queue,
        async receive(max, wait) {
          const got = await queue.receive(max, wait);
          if (got.length > 0) {
            stop.abort();
            counts.jobCrashes++;
            return [];
          }
          return got;
        },
      },
    };
  }

  /** With `--chaos`: the next weight extrinsic the node accepts drops the chain connection once. */
  dropChainOnSubmission(proxy: WsProxy): void {
    if (this.enabled) proxy.armDropOnSubmission();
  }

  /** The faults injected, and what the cycle shows of them (`challenges` vs `resultsRecorded`). */
  report(proxy: WsProxy, challenges: number, resultsRecorded: number): ChaosReport {
    return {
      ...this.counts,
      dynamoThrottles: this.throttle.injected,
      chainDrops: proxy.drops > 0 ? 1 : 0,
      weightSubmissions: proxy.submissions,
      challenges,
      resultsRecorded,
    };
  }
}

/** The challenge's hotkey, read loosely (the worker validates the body; this only picks a chaos target). */
function hotkeyOf(event: SQSEvent): string | undefined {
  try {
    const body = JSON.parse(event.Records[0]?.body ?? '') as { hotkey?: unknown };
    return typeof body.hotkey === 'string' ? body.hotkey : undefined;
  } catch {
    return undefined;
  }
}
