import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { runSync, SYNC_TIMEOUT_SECONDS, type SyncDeps } from '../../../lib/pipeline/sync.js';
import type { CoordinationStore } from '../../../lib/store/coordination.js';
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

  it('keeps the progress a worker counts while the resuming tick runs (the resume never rewrites done)', async () => {
    // Prepare: a failed fan-out with one result counted; a second result lands right after the resuming
    // tick has read the round, before it writes
    const chain = new StubChain(metagraph(25, 10_000));
    const onMoto = await syncDepsOnMoto(c, 'resume-progress', chain);
    const options = { ...SYNC_OPTIONS, minMinerVersion: undefined, maxJitterSeconds: 0 };
    await runSync({ ...onMoto, sqs: failingOnce(c.sqs, 2) }, options).catch(() => undefined);
    await onMoto.coordination.markRoundProgress(27, '27-10000');
    const racing = Object.create(onMoto.coordination) as CoordinationStore;
    racing.round = async (netuid: number) => {
      const read = await onMoto.coordination.round(netuid);
      await onMoto.coordination.markRoundProgress(27, '27-10000');
      return read;
    };
    chain.metagraphValue = { ...chain.metagraphValue, block: 10_005 };
    // Act
    const resumed = await runSync({ ...onMoto, coordination: racing }, options);
    // Assess
    expect(resumed.round).toMatchObject({ status: 'started', roundId: '27-10000', challenges: 25 });
    expect(await onMoto.coordination.round(27)).toMatchObject({ expected: 25, done: 2 });
  });

  it('a fan-out killed before it could mark its failure is resumed once its invocation has surely ended, by one tick', async () => {
    // Prepare: the send fails and so does the failure mark (as when the invocation is killed mid-fan-out)
    const chain = new StubChain(metagraph(25, 11_000));
    const onMoto = await syncDepsOnMoto(c, 'killed-fan-out', chain);
    const options = { ...SYNC_OPTIONS, minMinerVersion: undefined, maxJitterSeconds: 0 };
    let clock = 1_800_000_000;
    const killed = Object.create(onMoto.coordination) as CoordinationStore;
    killed.abandonFanOut = () => Promise.reject(new Error('injected: invocation killed'));
    await runSync(
      { ...onMoto, coordination: killed, sqs: failingOnce(c.sqs, 2), nowSeconds: () => clock },
      options,
    ).catch(() => undefined);
    chain.metagraphValue = { ...chain.metagraphValue, block: 11_005 };
    const deps = { ...onMoto, nowSeconds: () => clock };
    // Act: a tick while the killed invocation might still run, then two ticks at once after it
    const early = await runSync(deps, options);
    clock += SYNC_TIMEOUT_SECONDS + 1;
    // both ticks read the round before either writes it, whatever the scheduling
    let arrived = 0;
    let bothRead: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    const concurrent = Object.create(onMoto.coordination) as CoordinationStore;
    concurrent.round = async (netuid: number) => {
      const read = await onMoto.coordination.round(netuid);
      if (++arrived === 2) bothRead();
      await barrier;
      return read;
    };
    const racing = { ...deps, coordination: concurrent };
    const [a, b] = await Promise.all([runSync(racing, options), runSync(racing, options)]);
    const messages = await drain(c.sqs, onMoto.queueUrl);
    // Assess
    expect(early.round).toEqual({ status: 'running', roundId: '27-11000' });
    expect([a.round.status, b.round.status].sort()).toEqual(['lost-race', 'started']);
    expect(await onMoto.coordination.round(27)).toMatchObject({
      roundId: '27-11000',
      expected: 25,
      nextRoundBlock: 11_000 + SYNC_OPTIONS.pogIntervalBlocks,
    });
    // every miner once from the one resumed fan-out, plus at most the copy the killed tick sent
    const copies = new Map<string, number>();
    for (const m of messages) copies.set(m.hotkey, (copies.get(m.hotkey) ?? 0) + 1);
    expect(copies.size).toBe(25);
    expect(Math.max(...copies.values())).toBeLessThanOrEqual(2);
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
