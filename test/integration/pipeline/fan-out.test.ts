import { beforeAll, describe, expect, inject, it } from 'vitest';
import { buildSyncHandler } from '../../../functions/sync/handler.js';
import { CoordinationStore, MinerStore, PogResultStore, StatsStore } from '../../../lib/store/index.js';
import {
  clients,
  lambdaContext,
  makeBatch,
  makeQueues,
  makeTables,
  messagesIn,
  metagraph,
  StubChain,
  SYNC_OPTIONS,
  uniquePrefix,
} from './fixtures.js';
import { quietObservability } from './helpers.js';

describe('Pipeline on moto: sync fan-out → SQS', () => {
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
        coordination: new CoordinationStore(c.doc, e.tables.coordination),
      }),
      options: SYNC_OPTIONS,
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
    expect(await messagesIn(c.sqs, env.queues.queueUrl)).toBe(256);
    // 400 blocks later a round is due, but the first has 256 results outstanding
    expect(second.round).toEqual({ status: 'running', roundId: '27-1000' });
    expect(await messagesIn(c.sqs, env.queues.queueUrl)).toBe(256);
  });
});
