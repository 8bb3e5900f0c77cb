import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildWorkerHandler } from '../../../functions/worker/handler.js';
import { type SimulatedMiners, simProfile, startSimulatedMiners } from '../../../harness/sim/index.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { attemptWindowSeconds, runSync, type SyncOptions } from '../../../lib/pipeline/sync.js';
import type { WorkerDeps } from '../../../lib/pipeline/worker.js';
import { createPogRunner } from '../../../lib/pog/index.js';
import { CoordinationStore, MinerStore, PogResultStore, StatsStore } from '../../../lib/store/index.js';
import { PogOutcomeStore } from '../../../lib/store/pog-results.js';
import {
  clients,
  lambdaContext,
  makeQueues,
  makeTables,
  metagraph,
  StubChain,
  SYNC_OPTIONS,
  uniquePrefix,
} from './fixtures.js';
import { quietObservability } from './helpers.js';

/**
 * Issue 12: a miner that answers the allocation check and then hangs its allocation (and deallocation)
 * ends the round with one failure row within its round budget, and the next round starts when due.
 */
describe('round budget on moto: a staller is recorded in time and the next round starts on schedule', () => {
  const c = clients(inject('motoEndpoint'));
  const { logger, metrics } = quietObservability();
  let sim: SimulatedMiners;

  beforeAll(async () => {
    sim = await startSimulatedMiners(
      [{ behaviour: 'stall-allocation', profile: simProfile('NVIDIA A100-SXM4-80GB', 1) }],
      { matrixSize: 64, timeToleranceS: 10 },
    );
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
  });

  it('writes the failure row once the window closes, counts it, and the next due sync starts a round', async () => {
    // Prepare: one stalling miner on the metagraph; our clocks start at T0
    const staller = sim.miners[0];
    if (staller === undefined) throw new Error('no simulated miner');
    const chain = new StubChain(
      metagraph(1, 10_000, () => ({ hotkey: staller.hotkey, axon: { ...staller.axon, version: 185 } })),
    );
    const prefix = uniquePrefix('round-budget');
    const [tables, queues] = await Promise.all([makeTables(c.ddb, prefix), makeQueues(c.sqs, prefix)]);
    const deps = {
      chain,
      sqs: c.sqs,
      queueUrl: queues.queueUrl,
      miners: new MinerStore(c.doc, tables.miners),
      pogResults: new PogResultStore(c.doc, tables.pogResults),
      stats: new StatsStore(c.doc, tables.stats),
      coordination: new CoordinationStore(c.doc, tables.coordination),
    };
    // the production round timeout (4 h): without the window the round would hold the next one that long
    const options: SyncOptions = {
      ...SYNC_OPTIONS,
      maxJitterSeconds: 0,
      roundTimeoutSeconds: 14_400,
      allowPrivateAddresses: true,
    };
    const t0 = 2_000_000_000;
    let nowS = t0;
    const outcomes = new PogOutcomeStore(
      c.doc,
      { pogResults: tables.pogResults, coordination: tables.coordination },
      27,
      { now: () => new Date(nowS * 1000) },
    );
    const workerDeps: WorkerDeps = {
      runner: createPogRunner({
        performance: DEFAULT_PERFORMANCE_CONFIG,
        hotkeySecret: '//Alice',
        allowPrivateAddresses: true,
        matrixSize: sim.matrixSize,
        engine: {
          ...sim.engine,
          allocateTimeoutS: 2,
          allocateCheckTimeoutS: 2,
          deallocateTimeoutS: 1,
          deallocateRetryDelayS: 0.05,
        },
      }),
      outcomes,
      coordination: deps.coordination,
      s3: c.s3,
      sqs: c.sqs,
      batch: c.batch,
      bundleBucket: 'unused',
      challengeQueueUrl: deps.queueUrl,
      challengeDlqUrl: queues.dlqUrl,
      verificationQueueUrl: deps.queueUrl,
      verifierJobQueue: 'unused',
      verifierJobDefinition: 'unused',
      // the reference's 22 attempts: the window, not the limit, must end this miner's round
      retryLimit: DEFAULT_PERFORMANCE_CONFIG.merkle_proof.pog_retry_limit,
      retryIntervalS: 0,
      allowPrivateAddresses: true,
      now: () => new Date(nowS * 1000),
    };
    const handler = buildWorkerHandler({ deps: workerDeps, logger, metrics });
    const deliver = async () => {
      const out = await c.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: deps.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
      );
      const m = out.Messages?.[0];
      if (m === undefined) return null;
      const record = {
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
      };
      const response = await handler({ Records: [record as never] }, lambdaContext);
      const failed = response.batchItemFailures.length > 0;
      if (!failed)
        await c.sqs.send(
          new DeleteMessageCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      return failed;
    };
    // Act: the round starts; one attempt stalls; the worker's clock passes the window; the next due sync
    const first = await runSync({ ...deps, nowSeconds: () => nowS }, options);
    const stalled = await deliver();
    nowS = t0 + attemptWindowSeconds(options, 0);
    const closed = await deliver();
    const round = await deps.coordination.round(27);
    chain.metagraphValue = { ...chain.metagraphValue, block: 10_000 + options.pogIntervalBlocks };
    const next = await runSync({ ...deps, nowSeconds: () => nowS }, options);
    // Assess
    expect(first.round).toMatchObject({ status: 'started', roundId: '27-10000', challenges: 1 });
    expect(stalled).toBe(true);
    expect(closed).toBe(false);
    const rows =
      (
        await c.doc.send(
          new QueryCommand({
            TableName: tables.pogResults,
            KeyConditionExpression: 'hotkey = :h',
            ExpressionAttributeValues: { ':h': staller.hotkey },
          }),
        )
      ).Items ?? [];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ roundId: '27-10000', gpuName: null });
    expect(String(rows[0]?.error)).toMatch(/^round attempt window closed after 1 attempt\(s\): /);
    expect(round).toMatchObject({ roundId: '27-10000', expected: 1, done: 1 });
    expect(next.round).toMatchObject({
      status: 'started',
      roundId: `27-${10_000 + options.pogIntervalBlocks}`,
    });
    // the window ends one worker timeout before the next round is due
    expect(nowS).toBeLessThan(t0 + options.pogIntervalBlocks * 12);
  }, 120_000);
});
