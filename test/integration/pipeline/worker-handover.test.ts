import { ListJobsCommand } from '@aws-sdk/client-batch';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { processChallenge, type WorkerDeps } from '../../../lib/pipeline/worker.js';
import { bundleKey, parseVerificationMessage, type VerificationMessage } from '../../../lib/pog/bundle.js';
import type { PogAttemptRunner, SessionResult } from '../../../lib/pog/index.js';
import { merkleLevels, merkleProof, sha256 } from '../../../lib/pog/math.js';
import { ProofTaker } from '../../../lib/pog/proof-output.js';
import { encodeChallenge, type PogChallenge } from '../../../lib/queue/challenge.js';
import { CoordinationStore, PogOutcomeStore } from '../../../lib/store/index.js';
import { type LogLevel, logTo } from '../../helpers/log.js';
import { honestC, rowBytes } from '../../unit/pog/challenge-helpers.js';
import { clients, makeBucket, makeWorkerResources, uniquePrefix } from './fixtures.js';

const HOTKEY = '5TwinMiner';
const ROUND = 'r-twin';
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/** A passed session's proof for one GPU (n = 32), as the proof stage takes it from the miner's output. */
function passedProof(): SessionResult {
  const n = 32;
  const rowsChecked = [1, 30, 7];
  const seedA = 0x1234n;
  const seedB = 0x9876n;
  const rows = honestC(n, seedA, seedB).map(rowBytes);
  const levels = merkleLevels(rows.map((r) => sha256(r)));
  const root = (levels.at(-1) as Buffer[])[0]?.toString('hex') ?? '';
  const line = JSON.stringify({
    gpu: 0,
    n,
    rows: rowsChecked.map((i) => ({
      i,
      row: (rows[i] as Buffer).toString('base64'),
      proof: merkleProof(levels, i).map((h) => h.toString('hex')),
    })),
  });
  const taker = new ProofTaker([{ gpu: 0, n, seedA, seedB, root, rows: rowsChecked }], 2);
  taker.push(Buffer.from(`${line}\n`));
  return {
    gpuName: 'NVIDIA H100 80GB HBM3',
    numGpus: 1,
    n,
    gpus: taker.finish().gpus,
    timings: { benchmarkS: 1, computeS: 1, proofS: 1, t32: 1, n32: 1 },
    sampled: { passed: 1, total: 1, required: 1 },
  };
}

/** A client whose `send` throws for the commands `when` picks, `times` times, and passes the rest on. */
function failing<T extends { send: (command: never) => Promise<unknown> }>(
  client: T,
  when: (command: unknown) => boolean,
  times = 1,
): T {
  let left = times;
  return {
    send: async (command: unknown) => {
      if (left > 0 && when(command)) {
        left--;
        throw Object.assign(new Error('injected fault'), { name: 'InternalServerError' });
      }
      return client.send(command as never);
    },
  } as unknown as T;
}

const isUpdate = (fragment: string) => (command: unknown) =>
  command instanceof UpdateCommand && String(command.input.UpdateExpression).includes(fragment);

/** The worker's hand-over mark for `message`: its bundle key and its body recorded. */
const markHandOver = (outcomes: PogOutcomeStore, message: VerificationMessage) =>
  outcomes.markVerifying(message.roundId, message.hotkey, message.bundleKey, JSON.stringify(message));

describe('Worker twins and hand-over on moto: no failure row over a live session, no second session after a crash', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);

  interface DepsOptions {
    readonly doc?: DynamoDBDocumentClient;
    readonly s3?: S3Client;
    readonly sqs?: SQSClient;
    readonly retryLimit?: number;
    /** Runs inside the session, before it passes (what another invocation does meanwhile). */
    readonly duringSession?: () => Promise<void>;
  }

  /**
   * Tables, queues, bucket and Batch of their own, a clock the test moves, and deliveries of the
   * challenge through the worker, whose sessions pass. Visibility changes are recorded, not sent: a
   * delivery here is no received message.
   */
  const newEnv = async (name: string) => {
    const prefix = uniquePrefix(name);
    const { tables, queues, batch } = await makeWorkerResources(c, endpoint, prefix);
    const verificationQueueUrl =
      (await c.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-verify` }))).QueueUrl ?? '';
    const bucket = await makeBucket(c.s3, `${prefix}-bundles`);
    const clock = { ms: T0 };
    const now = () => new Date(clock.ms);
    const pair = { pogResults: tables.pogResults, coordination: tables.coordination };
    const outcomes = new PogOutcomeStore(c.doc, pair, 27, { now });
    const logs: { level: LogLevel; message: string }[] = [];
    const sessions = { count: 0 };
    const visibility: number[] = [];
    const depsWith = (options: DepsOptions = {}): WorkerDeps => {
      const sqs = options.sqs ?? c.sqs;
      return {
        runner: {
          attempt: async () => {
            sessions.count++;
            await options.duringSession?.();
            return { kind: 'passed', proof: passedProof(), durationMs: 1, minerMs: 1 };
          },
        } as unknown as PogAttemptRunner,
        outcomes: new PogOutcomeStore(options.doc ?? c.doc, pair, 27, { now }),
        coordination: new CoordinationStore(c.doc, tables.coordination),
        s3: options.s3 ?? c.s3,
        sqs: {
          send: async (command: unknown) => {
            if (command instanceof ChangeMessageVisibilityCommand) {
              visibility.push(command.input.VisibilityTimeout ?? -1);
              return {};
            }
            return sqs.send(command as never);
          },
        } as unknown as SQSClient,
        batch: c.batch,
        bundleBucket: bucket,
        challengeQueueUrl: queues.queueUrl,
        challengeDlqUrl: queues.dlqUrl,
        verificationQueueUrl,
        verifierJobQueue: batch.jobQueue,
        verifierJobDefinition: batch.jobDefinition,
        retryLimit: options.retryLimit ?? 22,
        retryIntervalS: 60,
        log: logTo((level, message) => logs.push({ level, message })),
        now,
      };
    };
    /** One delivery of the challenge, its invocation ending 420 s after the clock's now. */
    const deliver = (deps: WorkerDeps, challenge: PogChallenge = challengeOf()) =>
      processChallenge(deps, {
        messageId: 'm',
        body: encodeChallenge(challenge),
        receiptHandle: `h-${clock.ms}`,
        invocationDeadline: new Date(clock.ms + 420_000),
      });
    const rows = async () =>
      (
        await c.doc.send(
          new QueryCommand({
            TableName: tables.pogResults,
            KeyConditionExpression: 'hotkey = :h',
            ExpressionAttributeValues: { ':h': HOTKEY },
          }),
        )
      ).Items ?? [];
    const messages = async () => {
      const out = await c.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: verificationQueueUrl, MaxNumberOfMessages: 10 }),
      );
      return (out.Messages ?? []).map((m) => parseVerificationMessage(m.Body ?? ''));
    };
    const bundles = async () =>
      ((await c.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key);
    const jobs = async () =>
      (
        await Promise.all(
          (['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const).map(
            (jobStatus) => c.batch.send(new ListJobsCommand({ jobQueue: batch.jobQueue, jobStatus })),
          ),
        )
      ).flatMap((o) => o.jobSummaryList ?? []);
    return {
      clock,
      outcomes,
      depsWith,
      deliver,
      rows,
      messages,
      bundles,
      jobs,
      sessions,
      logs,
      visibility,
      verificationQueueUrl,
    };
  };

  const challengeOf = (over: Partial<PogChallenge> = {}): PogChallenge => ({
    netuid: 27,
    roundId: ROUND,
    uid: 3,
    hotkey: HOTKEY,
    axon: { ip: '8.8.8.8', port: 8091, version: 1 },
    ...over,
  });
  /** A verification message as a twin's hand-over records it (the verifier is not run here). */
  const messageFor = (attempt: number): VerificationMessage => ({
    version: 1,
    netuid: 27,
    roundId: ROUND,
    hotkey: HOTKEY,
    uid: 3,
    attempt,
    bundleKey: bundleKey(ROUND, HOTKEY, attempt),
    bundleBytes: 4096,
    bundleSha256: 'ab'.repeat(32),
  });
  const verified = {
    hotkey: HOTKEY,
    uid: 3,
    roundId: ROUND,
    attempts: 1,
    durationMs: 1,
    gpuName: 'NVIDIA H100 80GB HBM3',
    numGpus: 1,
  };
  const seconds = (clock: { ms: number }) => Math.floor(clock.ms / 1000);
  /** `count` failed attempts whose sessions are over, as earlier deliveries leave them. */
  const failedAttempts = async (e: Awaited<ReturnType<typeof newEnv>>, count: number, limit: number) => {
    for (let i = 0; i < count; i++) {
      await e.outcomes.beginAttempt(ROUND, HOTKEY, limit, seconds(e.clock) - 1);
      await e.outcomes.noteFault(ROUND, HOTKEY, 'miner is busy or not allocatable');
    }
  };

  describe('twin deliveries', () => {
    it("a twin whose count loses to the other twin's hand-over takes the duplicate path, not a failure row", async () => {
      // Prepare: twin A's session runs (attempt 1); twin B has read `attempting`, and A's hand-over
      // commits just before B's count reaches DynamoDB
      const e = await newEnv('race-handover');
      await e.outcomes.beginAttempt(ROUND, HOTKEY, 22, seconds(e.clock) + 400);
      let handedOver = false;
      const racing = {
        send: async (command: unknown) => {
          if (!handedOver && isUpdate('ADD attempts :one')(command)) {
            handedOver = true;
            expect(await markHandOver(e.outcomes, messageFor(1))).toBe(true);
            await e.outcomes.markHandOverSent(ROUND, HOTKEY, bundleKey(ROUND, HOTKEY, 1));
          }
          return c.doc.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient;
      // Act
      const twinB = await e.deliver(e.depsWith({ doc: racing }));
      const verifierWrite = await e.outcomes.recordVerified(verified);
      // Assess: B ran no session and wrote nothing; A's bundle gets its row
      expect(handedOver).toBe(true);
      expect(twinB).toMatchObject({ status: 'duplicate', state: 'verifying' });
      expect(e.sessions.count).toBe(0);
      expect(verifierWrite).toBe('recorded');
      expect(await e.rows()).toEqual([expect.objectContaining({ gpuName: 'NVIDIA H100 80GB HBM3' })]);
    });

    it("a twin whose window closed waits out another twin's live session instead of writing the failure row", async () => {
      // Prepare: twin B (a resumed fan-out's copy, a later window) runs attempt 5 for another 300 s;
      // twin A's (earlier) window closed 10 s ago
      const e = await newEnv('race-window');
      await failedAttempts(e, 4, 22);
      await e.outcomes.beginAttempt(ROUND, HOTKEY, 22, seconds(e.clock) + 300);
      // Act
      const twinA = await e.deliver(e.depsWith(), challengeOf({ attemptsUntil: seconds(e.clock) - 10 }));
      const handOverOfB = await markHandOver(e.outcomes, messageFor(5));
      // Assess
      expect(twinA).toMatchObject({ status: 'deferred', retryInSeconds: 301 });
      expect(e.visibility).toEqual([301]);
      expect(await e.rows()).toEqual([]);
      expect(handOverOfB).toBe(true);
    });

    it('a twin of the last attempt waits out its session, and writes the failure row once that invocation has surely ended', async () => {
      // Prepare: the limit is 3 and the third attempt's session holds the lease for 300 s
      const e = await newEnv('race-last');
      const deps = e.depsWith({ retryLimit: 3 });
      await failedAttempts(e, 2, 3);
      await e.outcomes.beginAttempt(ROUND, HOTKEY, 3, seconds(e.clock) + 300);
      // Act: the twin now; then its redelivery after the lease, the session's invocation having died
      const duringSession = await e.deliver(deps);
      const rowsDuringSession = await e.rows();
      e.clock.ms += 301_000;
      const afterLease = await e.deliver(deps);
      // Assess
      expect(duringSession).toMatchObject({ status: 'deferred', retryInSeconds: 301 });
      expect(rowsDuringSession).toEqual([]);
      expect(afterLease).toMatchObject({ status: 'failed', attempt: 3, recorded: true });
      expect(await e.rows()).toEqual([
        expect.objectContaining({ attempts: 3, error: 'miner is busy or not allocatable' }),
      ]);
      expect(e.sessions.count).toBe(0);
    });

    it('a passed session whose pair was finalized meanwhile hands nothing over and starts no verifier', async () => {
      // Prepare: while the session runs, the pair gets its final row (an invocation delayed past its
      // lease, say)
      const e = await newEnv('race-final');
      const deps = e.depsWith({
        duringSession: async () => {
          await e.outcomes.recordFailure({ ...verified, error: 'round attempt window closed' });
        },
      });
      // Act
      const result = await e.deliver(deps);
      // Assess
      expect(result).toMatchObject({ status: 'duplicate', state: 'final' });
      expect(await e.messages()).toEqual([]);
      expect(await e.bundles()).toEqual([]);
      expect(await e.jobs()).toEqual([]);
      expect(e.logs).toContainEqual({
        level: 'warn',
        message: 'passed attempt not handed over: the pair is final or holds another bundle',
      });
    });

    it('a delivery after a never-attempted pair got its window-closed row finds it final instead of throwing', async () => {
      // Prepare: the message waited behind the backlog past its window: the first delivery writes the
      // row for a pair that has no attempt count
      const e = await newEnv('no-attempts');
      const late = challengeOf({ attemptsUntil: seconds(e.clock) - 5 });
      const first = await e.deliver(e.depsWith(), late);
      // Act
      const again = await e.deliver(e.depsWith(), late);
      // Assess
      expect(first).toMatchObject({ status: 'failed', attempt: 0, recorded: true });
      expect(again).toMatchObject({ status: 'duplicate', state: 'final' });
      expect(await e.outcomes.attemptState(ROUND, HOTKEY)).toMatchObject({ state: 'final', attempts: 0 });
    });
  });

  describe('hand-over', () => {
    it('a failure after the verification message is sent: the redelivery re-sends it and starts the verifier, with no second session', async () => {
      // Prepare: marking the message sent fails once (DynamoDB, after the SDK's retries)
      const e = await newEnv('handover-mark');
      const deps = e.depsWith({ doc: failing(c.doc, isUpdate('SET handOverSentAt')) });
      // Act: the first delivery throws; SQS redelivers after the 480 s visibility timeout
      const first = await e.deliver(deps).catch((error: Error) => error.message);
      e.clock.ms += 481_000;
      const redelivery = await e.deliver(deps);
      // Assess: one session, one bundle; its message twice (the verifier's final write is conditional)
      expect(first).toBe('injected fault');
      expect(redelivery).toMatchObject({ status: 'duplicate', state: 'verifying' });
      expect(e.sessions.count).toBe(1);
      const key = bundleKey(ROUND, HOTKEY, 1);
      expect(await e.bundles()).toEqual([key]);
      const sent = await e.messages();
      expect(sent.map((m) => [m.bundleKey, m.attempt])).toEqual([
        [key, 1],
        [key, 1],
      ]);
      expect(await e.jobs()).toHaveLength(1);
      expect(await e.outcomes.attemptState(ROUND, HOTKEY)).toMatchObject({
        state: 'verifying',
        attempts: 1,
        handOverSentAt: expect.any(Number),
      });
    });

    it('a failure between the put and the message: a twin waits for the invocation, the redelivery sends the message once', async () => {
      // Prepare: the verification message's SendMessage fails once
      const e = await newEnv('handover-send');
      const sqs = failing(
        c.sqs,
        (command) =>
          command instanceof SendMessageCommand && command.input.QueueUrl === e.verificationQueueUrl,
      );
      const deps = e.depsWith({ sqs });
      // Act: the delivery throws; a twin comes 10 s later, the redelivery after the visibility timeout
      const first = await e.deliver(deps).catch((error: Error) => error.message);
      e.clock.ms += 10_000;
      const twin = await e.deliver(deps);
      e.clock.ms += 471_000;
      const redelivery = await e.deliver(deps);
      // Assess
      expect(first).toBe('injected fault');
      expect(twin).toMatchObject({ status: 'deferred', retryInSeconds: 411 });
      expect(redelivery).toMatchObject({ status: 'duplicate', state: 'verifying' });
      expect(e.sessions.count).toBe(1);
      const sent = await e.messages();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ attempt: 1, bundleKey: bundleKey(ROUND, HOTKEY, 1), uid: 3 });
      expect(await e.bundles()).toEqual([bundleKey(ROUND, HOTKEY, 1)]);
      expect(await e.jobs()).toHaveLength(1);
    });

    it('a bundle that cannot be put undoes the hand-over: the attempt is given back and the redelivery runs a new session', async () => {
      // Prepare: both tries of the put fail (the streamed one and the buffered one)
      const e = await newEnv('handover-put');
      const s3 = failing(c.s3, (command) => command instanceof PutObjectCommand, 2);
      const deps = e.depsWith({ s3 });
      // Act
      const first = await e.deliver(deps).catch((error: Error) => error.message);
      const afterFailure = await e.outcomes.attemptState(ROUND, HOTKEY);
      e.clock.ms += 481_000;
      const redelivery = await e.deliver(deps);
      // Assess: no message ever named the missing bundle
      expect(first).toBe('injected fault');
      expect(afterFailure).toMatchObject({ state: 'attempting', attempts: 0 });
      expect(afterFailure).not.toHaveProperty('handOver');
      expect(afterFailure).not.toHaveProperty('leaseUntil');
      expect(redelivery).toMatchObject({ status: 'verifying', attempt: 1 });
      expect(e.sessions.count).toBe(2);
      expect(await e.messages()).toEqual([expect.objectContaining({ attempt: 1 })]);
    });
  });
});
