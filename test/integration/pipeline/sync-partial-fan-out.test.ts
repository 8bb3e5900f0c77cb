import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { runSync, type SyncDeps } from '../../../lib/pipeline/sync.js';
import { clients, metagraph, StubChain, SYNC_OPTIONS, syncDepsOnMoto } from './fixtures.js';

/** An SQS client whose `failOnCall`-th send throws, as a throttled or cut-off SendMessageBatch would. */
function failingOnce(sqs: SQSClient, failOnCall: number): SQSClient {
  let calls = 0;
  return {
    send: (command: never) => {
      calls++;
      if (calls === failOnCall) return Promise.reject(new Error('injected: SendMessageBatch failed'));
      return sqs.send(command);
    },
  } as unknown as SQSClient;
}

async function drain(sqs: SQSClient, queueUrl: string): Promise<{ roundId: string; hotkey: string }[]> {
  const out: { roundId: string; hotkey: string }[] = [];
  for (let empty = 0; empty < 2; ) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }),
    );
    if ((r.Messages ?? []).length === 0) empty++;
    for (const m of r.Messages ?? []) out.push(JSON.parse(m.Body ?? '{}'));
  }
  return out;
}

describe('a fan-out that fails part-way (issue 12) on moto', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);

  it('is resumed under the same round id, so every miner has exactly one (round, hotkey) and is counted once', async () => {
    // Prepare: 25 miners = 3 SendMessageBatch calls; the second one fails
    const chain = new StubChain(metagraph(25, 8_000));
    const onMoto = await syncDepsOnMoto(c, 'partial-fan-out', chain);
    const deps: SyncDeps = { ...onMoto, sqs: failingOnce(c.sqs, 2) };
    const options = { ...SYNC_OPTIONS, minMinerVersion: undefined, maxJitterSeconds: 0 };
    // Act: the failing tick, a result of a reached miner arriving in between, then the next tick (later block)
    const failed = await runSync(deps, options).catch((e: unknown) => e);
    const afterFailure = await deps.coordination.round(27);
    await deps.coordination.markRoundProgress(27, '27-8000');
    chain.metagraphValue = { ...chain.metagraphValue, block: 8_005 };
    const resumed = await runSync({ ...deps, sqs: c.sqs }, options);
    const state = await deps.coordination.round(27);
    const messages = await drain(c.sqs, deps.queueUrl);
    // Assess
    expect(failed).toBeInstanceOf(Error);
    expect(afterFailure).toMatchObject({ roundId: '27-8000', expected: 0 });
    expect(resumed.round).toMatchObject({ status: 'started', roundId: '27-8000', challenges: 25 });
    expect(state).toMatchObject({
      roundId: '27-8000',
      expected: 25,
      done: 1,
      nextRoundBlock: 8_000 + SYNC_OPTIONS.pogIntervalBlocks,
    });
    expect(new Set(messages.map((m) => m.roundId))).toEqual(new Set(['27-8000']));
    expect(new Set(messages.map((m) => m.hotkey)).size).toBe(25);
  });

  it('a round that started cleanly is not resumed: the next due tick starts a new id', async () => {
    // Prepare
    const chain = new StubChain(metagraph(3, 9_000));
    const deps = await syncDepsOnMoto(c, 'clean-fan-out', chain);
    const options = { ...SYNC_OPTIONS, minMinerVersion: undefined, maxJitterSeconds: 0 };
    await runSync(deps, options);
    for (let i = 0; i < 3; i++) await deps.coordination.markRoundProgress(27, '27-9000');
    chain.metagraphValue = { ...chain.metagraphValue, block: 9_000 + SYNC_OPTIONS.pogIntervalBlocks };
    // Act
    const next = await runSync(deps, options);
    // Assess
    expect(next.round).toMatchObject({
      status: 'started',
      roundId: `27-${9_000 + SYNC_OPTIONS.pogIntervalBlocks}`,
    });
  });
});
