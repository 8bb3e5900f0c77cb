import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildWorkerHandler } from '../../../functions/worker/handler.js';
import { type SimulatedMiners, simProfile, startSimulatedMiners } from '../../../harness/sim/index.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import type { WorkerDeps } from '../../../lib/pipeline/worker.js';
import {
  callAllocate,
  callDeallocate,
  generateSessionKeys,
  TEST_DEVICE_REQUIREMENT,
  TEST_DOCKER_REQUIREMENT,
} from '../../../lib/pog/axon.js';
import { decodeBundle, parseVerificationMessage } from '../../../lib/pog/bundle.js';
import { createPogRunner } from '../../../lib/pog/index.js';
import { PAYLOAD_PROTOCOL } from '../../../lib/pog/verify.js';
import { CHALLENGE_QUEUE, encodeChallenge, type PogChallenge } from '../../../lib/queue/challenge.js';
import { CoordinationStore, PogOutcomeStore } from '../../../lib/store/index.js';
import { clients, lambdaContext, makeBatch, makeWorkerResources, uniquePrefix } from './fixtures.js';
import { failingBatchMoto, quietObservability } from './helpers.js';

const ROW_CHECK = new URL('../../../lib/pog/payload/row_check.py', import.meta.url).pathname;

describe('Worker on moto: one PoG attempt per delivery → bundle in S3 → verification queue → verifier job', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    forcePathStyle: true,
  });
  const { logger, metrics } = quietObservability();
  let sim: SimulatedMiners;
  const miner = (k: number) => {
    const m = sim.miners[k];
    if (m === undefined) throw new Error(`no miner ${k}`);
    return m;
  };

  beforeAll(async () => {
    sim = await startSimulatedMiners(
      [
        { behaviour: 'honest', profile: simProfile('NVIDIA A100-SXM4-80GB', 1) },
        { behaviour: 'honest', profile: simProfile('NVIDIA A100-SXM4-80GB', 2) },
        { behaviour: 'refuse-allocation', profile: simProfile('NVIDIA L4', 1) },
        { behaviour: 'one-wrong-entry-per-row', profile: simProfile('NVIDIA A100-SXM4-80GB', 1) },
        { behaviour: 'honest', profile: simProfile('NVIDIA A100-SXM4-80GB', 1) },
        { behaviour: 'honest', profile: simProfile('NVIDIA A100-SXM4-80GB', 1) },
      ],
      { matrixSize: 64, timeToleranceS: 10 },
    );
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
  });

  const newEnv = async (name: string, overrides: Partial<WorkerDeps> = {}) => {
    const prefix = uniquePrefix(name);
    const { tables, queues, batch } = await makeWorkerResources(c, endpoint, prefix);
    const verification = await c.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-verify` }));
    const bucket = `${prefix}-bundles`.toLowerCase();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const outcomes = new PogOutcomeStore(
      c.doc,
      { pogResults: tables.pogResults, coordination: tables.coordination },
      27,
    );
    const deps: WorkerDeps = {
      runner: createPogRunner({
        performance: DEFAULT_PERFORMANCE_CONFIG,
        hotkeySecret: '//Alice',
        allowPrivateAddresses: true,
        matrixSize: sim.matrixSize,
        engine: { ...sim.engine, deallocateRetryDelayS: 0.05 },
      }),
      outcomes,
      coordination: new CoordinationStore(c.doc, tables.coordination),
      s3,
      sqs: c.sqs,
      batch: c.batch,
      bundleBucket: bucket,
      challengeQueueUrl: queues.queueUrl,
      challengeDlqUrl: queues.dlqUrl,
      verificationQueueUrl: verification.QueueUrl ?? '',
      verifierJobQueue: batch.jobQueue,
      verifierJobDefinition: batch.jobDefinition,
      retryLimit: 3,
      retryIntervalS: 1,
      allowPrivateAddresses: true,
      ...overrides,
    };
    return { tables, queues, batch, bucket, deps, outcomes };
  };
  type Env = Awaited<ReturnType<typeof newEnv>>;

  const challengeOf = (k: number, roundId: string): PogChallenge => ({
    netuid: 27,
    roundId,
    uid: k,
    hotkey: miner(k).hotkey,
    axon: miner(k).axon,
  });
  const recordOf = (m: Message): SQSRecord =>
    ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
      awsRegion: 'us-east-1',
    }) as SQSRecord;

  /**
   * Plays the SQS event source with batch size 1: receive one message, invoke, delete it when it
   * succeeded; a reported failure is left alone, so SQS redelivers it when its visibility ends.
   */
  const deliverOnce = async (e: Env, deps: WorkerDeps = e.deps, waitS = 0) => {
    const out = await c.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: e.queues.queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: waitS,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const m = out.Messages?.[0];
    if (m === undefined) return null;
    const handler = buildWorkerHandler({ deps, logger, metrics });
    const response = await handler({ Records: [recordOf(m)] }, lambdaContext);
    if (response.batchItemFailures.length === 0) {
      await c.sqs.send(
        new DeleteMessageCommand({ QueueUrl: e.queues.queueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
    }
    return {
      failed: response.batchItemFailures.length > 0,
      receiveCount: m.Attributes?.ApproximateReceiveCount,
      receiptHandle: m.ReceiptHandle,
    };
  };
  const send = (e: Env, body: string) =>
    c.sqs.send(new SendMessageCommand({ QueueUrl: e.queues.queueUrl, MessageBody: body }));
  const rowsOf = async (e: Env, hotkey: string) =>
    (
      await c.doc.send(
        new QueryCommand({
          TableName: e.tables.pogResults,
          KeyConditionExpression: 'hotkey = :h',
          ExpressionAttributeValues: { ':h': hotkey },
        }),
      )
    ).Items ?? [];
  const verificationMessages = async (e: Env) => {
    const out = await c.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: e.deps.verificationQueueUrl, MaxNumberOfMessages: 10 }),
    );
    return (out.Messages ?? []).map((m) => parseVerificationMessage(m.Body ?? ''));
  };
  const verifierJobs = async (e: Env) => {
    const all = await Promise.all(
      (['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const).map((s) =>
        c.batch.send(new ListJobsCommand({ jobQueue: e.batch.jobQueue, jobStatus: s })),
      ),
    );
    return all.flatMap((o) => o.jobSummaryList ?? []);
  };

  it('hands a passed attempt to the verifier: one bundle, one message, one verifier job per round', async () => {
    // Prepare
    const e = await newEnv('pass');
    // the sync's round window for both, in an hour
    const attemptsUntil = Math.floor(Date.now() / 1000) + 3600;
    await send(e, encodeChallenge({ ...challengeOf(0, 'r-pass'), attemptsUntil }));
    await send(e, encodeChallenge({ ...challengeOf(1, 'r-pass'), attemptsUntil }));
    // Act
    const first = await deliverOnce(e);
    const second = await deliverOnce(e);
    // Assess
    expect(first?.failed).toBe(false);
    expect(second?.failed).toBe(false);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: e.bucket }));
    const keys = (listed.Contents ?? []).map((o) => o.Key).sort();
    expect(keys).toEqual(
      [`bundles/r-pass/${miner(0).hotkey}/1.pogb`, `bundles/r-pass/${miner(1).hotkey}/1.pogb`].sort(),
    );
    const object = await s3.send(new GetObjectCommand({ Bucket: e.bucket, Key: keys[1] }));
    const bytes = await object.Body?.transformToByteArray();
    const bundle = decodeBundle(bytes ?? new Uint8Array());
    const hk = bundle.header.hotkey;
    expect(bundle.header).toMatchObject({
      roundId: 'r-pass',
      protocol: PAYLOAD_PROTOCOL,
      n: 64,
      gpuName: 'NVIDIA A100-SXM4-80GB',
      attempt: 1,
    });
    expect(bundle.header.gpus.every((g) => g.rows.length === 17 && g.paths.length === 17)).toBe(true);
    const messages = await verificationMessages(e);
    expect(messages).toHaveLength(2);
    expect(messages.find((m) => m.hotkey === hk)).toMatchObject({ bundleBytes: bytes?.length, attempt: 1 });
    const jobs = await verifierJobs(e);
    expect(jobs).toHaveLength(1);
    // the job is told its round, whose claim it drops when it has drained, and until when the round's
    // sessions may hand bundles over: the window plus one worker timeout
    const described = await c.batch.send(new DescribeJobsCommand({ jobs: [jobs[0]?.jobId ?? ''] }));
    expect(described.jobs?.[0]?.container?.environment).toEqual(
      expect.arrayContaining([
        { name: 'VERIFIER_ROUND_ID', value: 'r-pass' },
        {
          name: 'VERIFIER_SESSIONS_UNTIL',
          value: String(attemptsUntil + CHALLENGE_QUEUE.workerTimeoutSeconds),
        },
      ]),
    );
    expect(await e.outcomes.attemptState('r-pass', miner(0).hotkey)).toMatchObject({
      attempts: 1,
      state: 'verifying',
    });
    // no row yet: the verifier writes the final one
    expect(await rowsOf(e, miner(0).hotkey)).toEqual([]);
  }, 120_000);

  it('retries a miner fault by redelivery after the interval, counts attempts durably, then writes one failure row', async () => {
    // Prepare
    const e = await newEnv('retry');
    const hotkey = miner(2).hotkey;
    await send(e, encodeChallenge(challengeOf(2, 'r-retry')));
    // Act
    const first = await deliverOnce(e);
    const hiddenRightAfter = await deliverOnce(e);
    const second = await deliverOnce(e, e.deps, 5);
    const third = await deliverOnce(e, e.deps, 5);
    const afterLimit = await deliverOnce(e, e.deps, 2);
    // Assess
    expect(first).toMatchObject({ failed: true, receiveCount: '1' });
    // the visibility was changed to the retry interval, not left at the queue's 480 s
    expect(hiddenRightAfter).toBeNull();
    expect(second).toMatchObject({ failed: true, receiveCount: '2' });
    expect(third).toMatchObject({ failed: false, receiveCount: '3' });
    expect(afterLimit).toBeNull();
    expect(await e.outcomes.attemptState('r-retry', hotkey)).toMatchObject({ attempts: 3, state: 'final' });
    const rows = await rowsOf(e, hotkey);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      roundId: 'r-retry',
      gpuName: null,
      numGpus: null,
      attempts: 3,
      error: 'miner is busy or not allocatable',
    });
  }, 120_000);

  it('releases an allocation that a killed invocation left open, in a later round, before allocating', async () => {
    // Prepare: miner 5 holds an allocation that no deallocation confirmed, recorded by the ledger in an
    // earlier round (its invocation died before its finally); miner 3's leaked allocation is unrecorded
    await cryptoWaitReady();
    const e = await newEnv('ledger');
    const dendrite = {
      keypair: new Keyring({ type: 'sr25519' }).addFromUri('//Alice'),
      maxResponseBytes: 64 * 1024,
      dendriteIp: '0.0.0.0',
      dendriteVersion: 1,
      allowPrivateAddresses: true,
    };
    const leak = async (k: number) => {
      const { publicKey } = generateSessionKeys();
      const target = { ip: miner(k).axon.ip, port: miner(k).axon.port, hotkey: miner(k).hotkey };
      const request = {
        timeline: 1,
        checking: false,
        public_key: publicKey,
        device_requirement: TEST_DEVICE_REQUIREMENT,
        docker_requirement: TEST_DOCKER_REQUIREMENT,
      };
      expect((await callAllocate(target, request, 5, dendrite)).status).toBe(true);
      return { publicKey, target };
    };
    const recorded = await leak(5);
    await e.outcomes.noteAllocating(miner(5).hotkey, 'r-killed', recorded.publicKey);
    const unrecorded = await leak(3);
    const deallocationsBefore = miner(5).stats.deallocations;
    try {
      // Act
      await send(e, encodeChallenge(challengeOf(5, 'r-next')));
      const withLedger = await deliverOnce(e);
      await send(e, encodeChallenge(challengeOf(3, 'r-next')));
      const withoutLedger = await deliverOnce(e);
      // Assess: the recorded key was released first, the session passed and left no open allocation
      expect(withLedger).toMatchObject({ failed: false });
      expect(await e.outcomes.attemptState('r-next', miner(5).hotkey)).toMatchObject({ state: 'verifying' });
      expect(miner(5).stats.deallocations - deallocationsBefore).toBe(2);
      expect(miner(5).stats.allocated).toBe(false);
      expect(await e.outcomes.openAllocation(miner(5).hotkey)).toBeNull();
      // without the record the miner stays busy for its timeline (a day on a real miner)
      expect(withoutLedger).toMatchObject({ failed: true });
      expect(await e.outcomes.attemptState('r-next', miner(3).hotkey)).toMatchObject({
        lastReason: 'miner is busy or not allocatable',
      });
    } finally {
      const options = { tries: 1, retryDelayMs: 0, timeoutS: 5, sleep: async () => {} };
      await callDeallocate(unrecorded.target, unrecorded.publicKey, dendrite, options);
    }
  }, 60_000);

  it('runs no second session and writes no second row when a result already exists', async () => {
    // Prepare
    const e = await newEnv('dup', { retryLimit: 1 });
    const body = encodeChallenge(challengeOf(2, 'r-dup'));
    await send(e, body);
    await deliverOnce(e);
    const checksBefore = miner(2).stats.allocations;
    // Act
    await send(e, body);
    await send(e, body);
    const again = [await deliverOnce(e), await deliverOnce(e)];
    // Assess
    expect(again.map((r) => r?.failed)).toEqual([false, false]);
    expect(await rowsOf(e, miner(2).hotkey)).toHaveLength(1);
    expect(miner(2).stats.allocations).toBe(checksBefore);
    expect(await e.outcomes.attemptState('r-dup', miner(2).hotkey)).toMatchObject({ attempts: 1 });
  }, 60_000);

  it('runs one session for twin deliveries of a challenge: the twin waits out the first invocation', async () => {
    // Prepare: SQS delivers the same challenge twice at once (at-least-once delivery)
    const e = await newEnv('twin');
    const body = encodeChallenge(challengeOf(0, 'r-twin'));
    await send(e, body);
    await send(e, body);
    const allocationsBefore = miner(0).stats.allocations;
    const received = await c.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: e.queues.queueUrl, MaxNumberOfMessages: 2, WaitTimeSeconds: 1 }),
    );
    const twins = received.Messages ?? [];
    expect(twins).toHaveLength(2);
    const handler = buildWorkerHandler({ deps: e.deps, logger, metrics });
    // Act: both invocations run concurrently, the twin once the first holds the lease (moto does not
    // serialize two conditional updates of one item as DynamoDB does, so a same-millisecond start
    // could let both in there)
    const [first, twin] = twins;
    const firstRun = handler({ Records: [recordOf(first as Message)] }, lambdaContext);
    await vi.waitFor(
      async () => expect((await e.outcomes.attemptState('r-twin', miner(0).hotkey))?.attempts).toBe(1),
      { timeout: 10_000, interval: 20 },
    );
    const responses = await Promise.all([
      firstRun,
      handler({ Records: [recordOf(twin as Message)] }, lambdaContext),
    ]);
    const visibleSoon = await deliverOnce(e, e.deps, 1);
    // Assess: one session, one bundle; the twin is failed back, hidden for the first invocation's span
    expect(responses.map((r) => r.batchItemFailures.length).sort()).toEqual([0, 1]);
    expect(miner(0).stats.allocations - allocationsBefore).toBe(1);
    expect(visibleSoon).toBeNull();
    expect(await e.outcomes.attemptState('r-twin', miner(0).hotkey)).toMatchObject({
      attempts: 1,
      state: 'verifying',
    });
    expect(await verificationMessages(e)).toHaveLength(1);
  }, 120_000);

  it("writes the failure row without a session once the round's attempt window has closed", async () => {
    // Prepare: the fan-out's window ended a second ago; one earlier attempt failed
    const e = await newEnv('window');
    const hotkey = miner(2).hotkey;
    await send(e, encodeChallenge(challengeOf(2, 'r-window')));
    await deliverOnce(e);
    const allocationsBefore = miner(2).stats.allocations;
    await send(
      e,
      encodeChallenge({ ...challengeOf(2, 'r-window'), attemptsUntil: Math.floor(Date.now() / 1000) - 1 }),
    );
    // Act
    const late = await deliverOnce(e, e.deps, 1);
    // Assess
    expect(late?.failed).toBe(false);
    expect(miner(2).stats.allocations).toBe(allocationsBefore);
    const rows = await rowsOf(e, hotkey);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.error).toBe(
      'round attempt window closed after 1 attempt(s): miner is busy or not allocatable',
    );
  }, 60_000);

  it('drops the verifier claim only when SubmitJob fails, and the redelivery starts the verifier without a new session', async () => {
    // Prepare
    const e = await newEnv('claim');
    await send(e, encodeChallenge(challengeOf(4, 'r-claim')));
    const broken = { ...e.deps, verifierJobQueue: 'no-such-queue' };
    // Act
    const failed = await deliverOnce(e, broken);
    const allocationsAfterFirst = miner(4).stats.allocations;
    const claimAfterFailure = await e.deps.coordination.claimRef('verifier#r-claim');
    // our own fault: SQS redelivers at the end of the visibility timeout; end it now
    await c.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: e.queues.queueUrl,
        ReceiptHandle: failed?.receiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const retried = await deliverOnce(e, e.deps, 2);
    // Assess
    expect(failed?.failed).toBe(true);
    expect(claimAfterFailure).toBeNull();
    expect(retried?.failed).toBe(false);
    expect(miner(4).stats.allocations).toBe(allocationsAfterFirst);
    expect(await verifierJobs(e)).toHaveLength(1);
    expect(await e.deps.coordination.claimRef('verifier#r-claim')).toMatch(/.+/);
    expect(await verificationMessages(e)).toHaveLength(1);
  }, 120_000);

  it('dead-letters a body that is no challenge at once, with its reason, and runs no session', async () => {
    // Prepare: a malformed body, and a challenge naming a private address (the deps allow none here)
    const e = await newEnv('bad', { allowPrivateAddresses: false });
    await send(e, '{"netuid":"not-a-number"}');
    await send(e, encodeChallenge(challengeOf(0, 'r-bad')));
    const allocationsBefore = miner(0).stats.allocations;
    // Act
    const outs = [await deliverOnce(e), await deliverOnce(e)];
    const left = await deliverOnce(e, e.deps, 1);
    const dead = await c.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: e.queues.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    // Assess: both deliveries succeed (deleted), both bodies sit in the DLQ with their reasons
    expect(outs.map((o) => o?.failed)).toEqual([false, false]);
    expect(left).toBeNull();
    const reasons = (dead.Messages ?? []).map((m) => m.MessageAttributes?.reason?.StringValue ?? '').sort();
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/axon address is not public/);
    expect(reasons[1]).toMatch(/netuid/);
    expect(miner(0).stats.allocations).toBe(allocationsBefore);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: e.bucket }))).KeyCount ?? 0).toBe(0);
  });

  it('a one-wrong-entry-per-row miner that the quick check may pass is caught by the row checker on its bundle', async () => {
    // Prepare: the production quick check (2 entries per row) at n = 64
    const e = await newEnv('cheat', { retryLimit: 1 });
    await send(e, encodeChallenge(challengeOf(3, 'r-cheat')));
    // Act
    await deliverOnce(e);
    const state = await e.outcomes.attemptState('r-cheat', miner(3).hotkey);
    // Assess
    if (state?.state !== 'verifying') {
      // the quick check caught it already: one failure row naming the wrong entry
      expect((await rowsOf(e, miner(3).hotkey))[0]).toMatchObject({
        error: expect.stringMatching(/wrong entry/),
      });
      return;
    }
    const object = await s3.send(new GetObjectCommand({ Bucket: e.bucket, Key: state.bundleKey }));
    const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
    try {
      const path = join(dir, 'b.pogb');
      writeFileSync(path, (await object.Body?.transformToByteArray()) ?? new Uint8Array());
      const run = spawnSync('python3', [ROW_CHECK, '--bundle', path, '--device', 'cpu'], {
        encoding: 'utf8',
      });
      expect(run.status).toBe(0);
      const report = JSON.parse(run.stdout) as { gpus: { rowsChecked: number; wrongRows: number }[] };
      expect(report.gpus[0]).toMatchObject({ rowsChecked: 17, wrongRows: 17 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  describe('a verifier job that failed without dropping its claim (Batch on a moto whose jobs fail)', () => {
    const failing = failingBatchMoto();
    const failingEnv = async (name: string) => {
      const fc = clients(failing.endpoint());
      const jobs = await makeBatch(fc.batch, failing.endpoint(), uniquePrefix(name));
      const e = await newEnv(name, {
        batch: fc.batch,
        verifierJobQueue: jobs.jobQueue,
        verifierJobDefinition: jobs.jobDefinition,
      });
      const failedJobs = async () =>
        (
          await fc.batch.send(new ListJobsCommand({ jobQueue: jobs.jobQueue, jobStatus: 'FAILED' }))
        ).jobSummaryList?.map((j) => j.jobId ?? '') ?? [];
      return { e, failedJobs };
    };

    it("the round's next hand-over drops the failed job's claim and starts one new job", async () => {
      // Prepare
      const { e, failedJobs } = await failingEnv('takeover');
      await send(e, encodeChallenge(challengeOf(0, 'r-takeover')));
      await send(e, encodeChallenge(challengeOf(4, 'r-takeover')));
      // Act
      await deliverOnce(e);
      const firstJobs = await failedJobs();
      await deliverOnce(e);
      // Assess
      expect(firstJobs).toHaveLength(1);
      const jobs = await failedJobs();
      expect(jobs).toHaveLength(2);
      const second = jobs.find((j) => j !== firstJobs[0]);
      expect(await e.deps.coordination.claimRef('verifier#r-takeover')).toBe(second);
      expect(await verificationMessages(e)).toHaveLength(2);
    }, 120_000);

    it('a claim naming a job Batch does not know is taken over; a live claim without a job id is left alone', async () => {
      // Prepare: one round's claim names a vanished job; another's is being submitted right now
      const { e, failedJobs } = await failingEnv('unknown');
      await e.deps.coordination.claim('verifier#r-unknown', 3600, 120);
      await e.deps.coordination.complete('verifier#r-unknown', 'no-such-job');
      await e.deps.coordination.claim('verifier#r-busy', 3600, 120);
      await send(e, encodeChallenge(challengeOf(0, 'r-unknown')));
      await send(e, encodeChallenge(challengeOf(4, 'r-busy')));
      // Act
      await deliverOnce(e);
      await deliverOnce(e);
      // Assess
      const jobs = await failedJobs();
      expect(jobs).toHaveLength(1);
      expect(await e.deps.coordination.claimRef('verifier#r-unknown')).toBe(jobs[0]);
      expect(await e.deps.coordination.claimRef('verifier#r-busy')).toBeNull();
    }, 120_000);
  });
});
