import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { buildSyncHandler } from '../../../functions/sync/handler.js';
import { buildWorkerHandler } from '../../../functions/worker/handler.js';
import { describeProofJobs } from '../../../lib/pipeline/worker.js';
import { LockStore, MinerStore, PogResultStore, StatsStore } from '../../../lib/store/index.js';
import {
  clients,
  drainThroughHandler,
  lambdaContext,
  makeBatch,
  makeQueues,
  makeTables,
  metagraph,
  queueDepth,
  StubChain,
  SYNC_OPTIONS,
  sqsRecord,
  uniquePrefix,
} from './fixtures.js';
import { quietObservability } from './helpers.js';

describe('Pipeline on moto: sync fan-out → SQS → worker → Batch', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);
  const { logger, metrics } = quietObservability();
  let env: {
    tables: Awaited<ReturnType<typeof makeTables>>;
    queues: Awaited<ReturnType<typeof makeQueues>>;
    batch: Awaited<ReturnType<typeof makeBatch>>;
  };

  const newEnv = async (name: string) => {
    const prefix = uniquePrefix(name);
    const [tables, queues, batch] = await Promise.all([
      makeTables(c.ddb, prefix),
      makeQueues(c.sqs, prefix),
      makeBatch(c.batch, endpoint, prefix),
    ]);
    return { tables, queues, batch };
  };
  const syncHandler = (chain: StubChain, e: typeof env) =>
    buildSyncHandler({
      getDeps: async () => ({
        chain,
        sqs: c.sqs,
        queueUrl: e.queues.queueUrl,
        miners: new MinerStore(c.doc, e.tables.miners),
        pogResults: new PogResultStore(c.doc, e.tables.pogResults),
        stats: new StatsStore(c.doc, e.tables.stats),
        locks: new LockStore(c.doc, e.tables.locks),
      }),
      options: SYNC_OPTIONS,
      logger,
      metrics,
    });
  const workerHandler = (e: typeof env) =>
    buildWorkerHandler({
      deps: {
        batch: c.batch,
        locks: new LockStore(c.doc, e.tables.locks),
        jobQueue: e.batch.jobQueue,
        jobDefinition: e.batch.jobDefinition,
      },
      concurrency: 5,
      logger,
      metrics,
    });

  beforeAll(async () => {
    env = await newEnv('fanout');
  });

  it('fans out 256 challenges in one sync and never overlaps a running round', async () => {
    // Prepare
    const chain = new StubChain(metagraph(256, 1_000));
    const handler = syncHandler(chain, env);
    // Act
    const first = await handler({}, lambdaContext);
    chain.metagraphValue = { ...chain.metagraphValue, block: 1_400 };
    const second = await handler({}, lambdaContext);
    // Assess
    expect(first.round).toEqual({ status: 'started', roundId: '27-1000', challenges: 256, delaySeconds: 0 });
    expect(await queueDepth(c.sqs, env.queues.queueUrl)).toBe(256);
    // 400 blocks later a round is due, but the first has 256 results outstanding
    expect(second.round).toEqual({ status: 'running', roundId: '27-1000' });
    expect(await queueDepth(c.sqs, env.queues.queueUrl)).toBe(256);
  });

  it('submits one Batch job per challenge, and Batch reports each job', async () => {
    // Prepare
    const handler = workerHandler(env);
    // Act
    const drained = await drainThroughHandler(c.sqs, env.queues.queueUrl, handler, { lanes: 4 });
    const locks = new LockStore(c.doc, env.tables.locks);
    const jobIds = await Promise.all(
      Array.from({ length: 256 }, (_, uid) =>
        locks.claimRef(`27-1000#5Hotkey${String(uid).padStart(4, '0')}`),
      ),
    );
    const statuses = await describeProofJobs(
      c.batch,
      jobIds.filter((id): id is string => id !== null),
    );
    // Assess
    expect(drained.reported).toBe(0);
    expect(await queueDepth(c.sqs, env.queues.queueUrl)).toBe(0);
    expect(new Set(jobIds).size).toBe(256);
    expect(statuses.size).toBe(256);
    // moto's Batch without Docker completes jobs at once (local-aws.md §1.4)
    expect(new Set(statuses.values())).toEqual(new Set(['SUCCEEDED']));
  });

  it('submits a duplicate delivery only once', async () => {
    // Prepare
    const e = await newEnv('dup');
    const body = JSON.stringify({
      netuid: 27,
      roundId: 'r-dup',
      uid: 7,
      hotkey: '5Dup',
      axon: { ip: '10.1.1.1', port: 8091, version: 185 },
    });
    const handler = workerHandler(e);
    // Act
    const first = await handler({ Records: [sqsRecord('m-1', body)] }, lambdaContext);
    const again = await handler({ Records: [sqsRecord('m-2', body), sqsRecord('m-3', body)] }, lambdaContext);
    const jobId = await new LockStore(c.doc, e.tables.locks).claimRef('r-dup#5Dup');
    const statuses = await describeProofJobs(c.batch, [jobId ?? '']);
    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(statuses.size).toBe(1);
    const { ListJobsCommand } = await import('@aws-sdk/client-batch');
    const listed = await c.batch.send(
      new ListJobsCommand({ jobQueue: e.batch.jobQueue, jobStatus: 'SUCCEEDED' }),
    );
    expect(listed.jobSummaryList?.length).toBe(1);
  });

  it('releases the claim when SubmitJob fails, so the redelivery submits', async () => {
    // Prepare
    const e = await newEnv('retry');
    const body = JSON.stringify({
      netuid: 27,
      roundId: 'r-retry',
      uid: 1,
      hotkey: '5R',
      axon: { ip: '10.4.0.1', port: 1, version: 1 },
    });
    const broken = buildWorkerHandler({
      deps: {
        batch: c.batch,
        locks: new LockStore(c.doc, e.tables.locks),
        jobQueue: 'no-such-queue',
        jobDefinition: e.batch.jobDefinition,
      },
      concurrency: 1,
      logger,
      metrics,
    });
    // Act
    const failed = await broken({ Records: [sqsRecord('m-1', body)] }, lambdaContext);
    const retried = await workerHandler(e)({ Records: [sqsRecord('m-1', body)] }, lambdaContext);
    // Assess
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(retried.batchItemFailures).toEqual([]);
    expect(await new LockStore(c.doc, e.tables.locks).claimRef('r-retry#5R')).toMatch(/.+/);
  });

  it('reports only the bad records of a batch (partial batch failure)', async () => {
    // Prepare
    const e = await newEnv('partial');
    const good = (uid: number) =>
      JSON.stringify({
        netuid: 27,
        roundId: 'r-p',
        uid,
        hotkey: `5P${uid}`,
        axon: { ip: '10.2.0.1', port: 1, version: 1 },
      });
    const records = [
      sqsRecord('ok-1', good(1)),
      sqsRecord('bad-json', '{not json'),
      sqsRecord('ok-2', good(2)),
      sqsRecord('bad-port', good(3).replace('"port":1', '"port":70000')),
      sqsRecord('too-big', 'x'.repeat(5000)),
    ];
    // Act
    const out = await workerHandler(e)({ Records: records }, lambdaContext);
    // Assess
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'bad-json',
      'bad-port',
      'too-big',
    ]);
  });

  it('dead-letters a poison message after 3 receives without blocking the others', async () => {
    // Prepare
    const e = await newEnv('poison');
    const ok = (uid: number) => ({
      Id: `m${uid}`,
      MessageBody: JSON.stringify({
        netuid: 27,
        roundId: 'r-poison',
        uid,
        hotkey: `5Q${uid}`,
        axon: { ip: '10.3.0.1', port: 8091, version: 185 },
      }),
    });
    await c.sqs.send(
      new SendMessageCommand({ QueueUrl: e.queues.queueUrl, MessageBody: '{"netuid":"not-a-number"}' }),
    );
    await c.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: e.queues.queueUrl, Entries: [1, 2, 3, 4].map(ok) }),
    );
    // Act
    const drained = await drainThroughHandler(c.sqs, e.queues.queueUrl, workerHandler(e));
    // Assess
    expect(drained.reported).toBe(3); // one failure report per receive, then moto redrives it
    expect(await queueDepth(c.sqs, e.queues.queueUrl)).toBe(0);
    expect(await queueDepth(c.sqs, e.queues.dlqUrl)).toBe(1);
    const locks = new LockStore(c.doc, e.tables.locks);
    const refs = await Promise.all([1, 2, 3, 4].map((uid) => locks.claimRef(`r-poison#5Q${uid}`)));
    expect(refs.every((r) => r !== null)).toBe(true);
  });
});
