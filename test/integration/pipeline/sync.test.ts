import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  attemptWindowSeconds,
  runSync,
  type SyncDeps,
  type SyncOptions,
} from '../../../lib/pipeline/sync.js';
import { decodeChallenge } from '../../../lib/queue/challenge.js';
import { clients, messagesIn, metagraph, StubChain, SYNC_OPTIONS, syncDepsOnMoto } from './fixtures.js';

const OPTIONS: SyncOptions = { ...SYNC_OPTIONS, blacklistHotkeys: ['5Hotkey0005'], maxJitterSeconds: 900 };

describe('Sync rounds on moto', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);

  async function setup(name: string, chain: StubChain): Promise<{ deps: SyncDeps; queueUrl: string }> {
    const deps = await syncDepsOnMoto(c, name, chain, () => 0.5);
    return { deps, queueUrl: deps.queueUrl };
  }

  let scenario: Awaited<ReturnType<typeof setup>>;
  let chain: StubChain;
  beforeAll(async () => {
    chain = new StubChain(
      metagraph(8, 2_000, (uid) => (uid === 6 ? { axon: { ip: '1.2.3.4', port: 1, version: 100 } } : {})),
    );
    scenario = await setup('sync', chain);
  });

  it('challenges only queryable, unallocated miners, delayed by the round jitter', async () => {
    // Prepare: uid 5 blacklisted, uid 6 too old, uid 2 allocated locally, uid 3 allocated per external state
    await scenario.deps.miners.putHotkeys(
      chain.metagraphValue.neurons.map((n) => ({ uid: n.uid, hotkey: n.hotkey })),
    );
    await scenario.deps.miners.setAllocated(2, true);
    const external = {
      read: async () => ({ allocatedHotkeys: ['5Hotkey0003'], penalizedHotkeys: [], statsAllocated: {} }),
    };
    // Act
    const out = await runSync({ ...scenario.deps, external }, OPTIONS);
    // Assess
    expect(out.round).toEqual({ status: 'started', roundId: '27-2000', challenges: 4, delaySeconds: 450 });
    expect(out.queryable).toBe(6);
    // delayed messages are counted as "delayed", not visible
    expect(await messagesIn(c.sqs, scenario.queueUrl)).toBe(4);
    const round = await scenario.deps.coordination.round(27);
    expect(round).toMatchObject({ expected: 4, done: 0, nextRoundBlock: 2_360 });
  });

  it('waits for the next interval once a round completed, then starts the next one', async () => {
    // Prepare
    for (let i = 0; i < 4; i++) await scenario.deps.coordination.markRoundProgress(27, '27-2000');
    // Act
    chain.metagraphValue = { ...chain.metagraphValue, block: 2_359 };
    const early = await runSync(scenario.deps, OPTIONS);
    chain.metagraphValue = { ...chain.metagraphValue, block: 2_360 };
    const due = await runSync(scenario.deps, OPTIONS);
    // Assess
    expect(early.round).toEqual({ status: 'not-due', nextRoundBlock: 2_360 });
    expect(due.round).toMatchObject({ status: 'started', roundId: '27-2360' });
  });

  it('makes the round due again when the fan-out fails', async () => {
    // Prepare
    const broken = new StubChain(metagraph(3, 7_000));
    const s = await setup('sync-fail', broken);
    const deps = { ...s.deps, queueUrl: `${s.queueUrl}-missing` };
    // Act
    const error = await runSync(deps, OPTIONS).catch((e: unknown) => e);
    const round = await deps.coordination.round(27);
    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(round).toMatchObject({ roundId: '27-7000', expected: 0, nextRoundBlock: 7_000 });
  });

  it("stamps every challenge with the round's attempt window from our own clock", async () => {
    // Prepare: no jitter, a fixed clock
    const s = await setup('sync-window', new StubChain(metagraph(3, 9_000)));
    const options = { ...SYNC_OPTIONS, maxJitterSeconds: 0 };
    // Act
    await runSync({ ...s.deps, nowSeconds: () => 1_000_000 }, options);
    const out = await c.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: s.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    // Assess
    const windows = (out.Messages ?? []).map((m) => decodeChallenge(m.Body ?? '').attemptsUntil);
    expect(windows.length).toBeGreaterThan(0);
    expect(new Set(windows)).toEqual(new Set([1_000_000 + attemptWindowSeconds(options, 0)]));
  });
});
