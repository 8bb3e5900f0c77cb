import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runSync } from '../../../lib/pipeline/sync.js';
import type { PogOutcome } from '../../../lib/ports.js';
import {
  CoordinationStore,
  createPogResultSink,
  MinerStore,
  PogOutcomeStore,
  PogResultStore,
  StatsStore,
  type TableNames,
} from '../../../lib/store/index.js';
import { clients, makeQueues, makeTables, metagraph, StubChain, uniquePrefix } from './fixtures.js';

const outcome = (hotkey: string, roundId: string, gpu: string | null, n: number | null): PogOutcome => ({
  hotkey,
  uid: 3,
  roundId,
  gpuName: gpu,
  numGpus: n,
  ...(gpu === null ? { error: 'GPU test failed' } : {}),
  attempts: 1,
  durationMs: 10,
});

describe('DynamoDB stores on moto', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);
  let tables: TableNames;
  let tick = 0;
  // a clock that moves one second per row, as rounds do
  const clock = () => new Date(Date.UTC(2026, 10, 25, 10, 0, tick++));

  beforeAll(async () => {
    tables = await makeTables(c.ddb, uniquePrefix('store'));
  });

  /** Fresh tables named after `name` and the outcome store on them (clock `now`, or the real one). */
  const outcomesOn = async (name: string, now?: () => Date) => {
    const t = await makeTables(c.ddb, uniquePrefix(name));
    const pair = { pogResults: t.pogResults, coordination: t.coordination };
    return { t, outcomes: new PogOutcomeStore(c.doc, pair, 27, now === undefined ? {} : { now }) };
  };

  it('keeps the 4 newest PoG rows per hotkey and scores from the newest successful one', async () => {
    // Prepare
    const store = new PogResultStore(c.doc, tables.pogResults, { now: clock });
    // Act
    await store.record(outcome('5A', 'r1', 'NVIDIA H100', 8));
    await store.record(outcome('5A', 'r2', 'NVIDIA A100', 4));
    await store.record(outcome('5A', 'r3', null, null));
    await store.record(outcome('5A', 'r4', null, null));
    await store.record(outcome('5A', 'r5', null, null));
    await store.record(outcome('5B', 'r5', 'NVIDIA L4', 1));
    const rows = await store.rows('5A');
    // Assess
    expect(rows.map((r) => r.roundId)).toEqual(['r5', 'r4', 'r3', 'r2']);
    expect(await store.specs('5A')).toEqual({ gpu_name: 'NVIDIA A100', num_gpus: 4 });
    expect(await store.allSpecs()).toEqual({
      '5A': { gpu_name: 'NVIDIA A100', num_gpus: 4 },
      '5B': { gpu_name: 'NVIDIA L4', num_gpus: 1 },
    });
  });

  it('loses the local specs only after 4 consecutive failure rows', async () => {
    // Prepare
    const store = new PogResultStore(c.doc, tables.pogResults, { now: clock });
    await store.record(outcome('5C', 'r1', 'NVIDIA H100', 8));
    // Act
    const seen: (string | null)[] = [];
    for (const round of ['r2', 'r3', 'r4', 'r5']) {
      await store.record(outcome('5C', round, null, null));
      seen.push((await store.specs('5C'))?.gpu_name ?? null);
    }
    // Assess
    expect(seen).toEqual(['NVIDIA H100', 'NVIDIA H100', 'NVIDIA H100', null]);
  });

  it('round-trips the stats table, external gpu_specs included', async () => {
    // Prepare
    const stats = new StatsStore(c.doc, tables.stats, clock);
    const written = {
      '0': {
        hotkey: '5A',
        gpu_specs: { gpu_name: 'NVIDIA H100', num_gpus: 8 },
        score: 42.5,
        allocated: false,
        own_score: true,
        reliability_score: 0,
      },
      '1': {
        hotkey: '5B',
        gpu_specs: null,
        score: 0,
        allocated: true,
        own_score: true,
        reliability_score: 0.25,
      },
      '2': {
        hotkey: '5E',
        gpu_specs: { gpu_name: 'x', num_gpus: 2, extra: 'kept' },
        score: 56,
        allocated: true,
        own_score: false,
        reliability_score: 0,
      },
    };
    // Act
    await stats.writeAll(written);
    const read = await stats.readAll();
    // Assess
    for (const [uid, entry] of Object.entries(written))
      expect(read[uid]).toMatchObject({ uid: Number(uid), ...entry });
  });

  it('purges PoG rows and stats of a uid whose hotkey changed, even on a fresh miners table (D9)', async () => {
    // Prepare
    const prefix = uniquePrefix('d9');
    const t = await makeTables(c.ddb, prefix);
    const { queueUrl } = await makeQueues(c.sqs, prefix);
    const pog = new PogResultStore(c.doc, t.pogResults, { now: clock });
    const stats = new StatsStore(c.doc, t.stats);
    const deps = {
      sqs: c.sqs,
      queueUrl,
      miners: new MinerStore(c.doc, t.miners),
      pogResults: pog,
      stats,
      coordination: new CoordinationStore(c.doc, t.coordination),
    };
    const options = {
      netuid: 27,
      blacklistHotkeys: [],
      blacklistColdkeys: [],
      dedupeIps: false,
      versionFilterThresholdPercent: 60,
      pogIntervalBlocks: 360,
      maxJitterSeconds: 0,
      roundTimeoutSeconds: 60,
    };
    const old = metagraph(3, 10);
    // state left by an earlier deployment: uid 1 was 5Hotkey0001
    await pog.record({ ...outcome('5Hotkey0001', 'r0', 'NVIDIA H100', 8), uid: 1 });
    await pog.record({ ...outcome('5Hotkey0002', 'r0', 'NVIDIA L4', 1), uid: 2 });
    await stats.writeAll({
      '1': {
        hotkey: '5Hotkey0001',
        gpu_specs: null,
        score: 90,
        allocated: false,
        own_score: true,
        reliability_score: 0,
      },
    });
    const chain = new StubChain({
      ...old,
      neurons: old.neurons.map((n) => (n.uid === 1 ? { ...n, hotkey: '5NewOwner' } : n)),
    });
    // Act
    const first = await runSync({ ...deps, chain }, options);
    chain.metagraphValue = {
      ...chain.metagraphValue,
      block: 11,
      neurons: chain.metagraphValue.neurons.map((n) => (n.uid === 2 ? { ...n, hotkey: '5Another' } : n)),
    };
    const second = await runSync({ ...deps, chain }, options);
    // Assess
    expect(first.purgedUids).toEqual([1]);
    expect(await pog.rows('5Hotkey0001')).toEqual([]);
    expect((await stats.readAll())['1']).toBeUndefined();
    expect(second.purgedUids).toEqual([2]);
    expect(await pog.rows('5Hotkey0002')).toEqual([]);
    expect((await deps.miners.readAll()).get(2)?.hotkey).toBe('5Another');
  });

  it('records an outcome and counts it towards its round', async () => {
    // Prepare
    const coordination = new CoordinationStore(c.doc, tables.coordination);
    await coordination.startRound(
      99,
      { roundId: 'r-job', startBlock: 1, nextRoundBlock: 361, expected: 2, done: 0, deadline: 2e9 },
      null,
    );
    const sink = createPogResultSink(c.doc, tables, 99, clock);
    // Act
    await sink.record({ ...outcome('5Job', 'r-job', null, null), uid: 5, error: 'ssh refused' });
    // Assess
    expect((await sink.rows('5Job'))[0]).toMatchObject({
      gpuName: null,
      numGpus: null,
      error: 'ssh refused',
    });
    expect(await coordination.round(99)).toMatchObject({ roundId: 'r-job', done: 1, expected: 2 });
  });

  it('lets one holder take a lock until it releases it or it expires', async () => {
    // Prepare
    let now = 1_000;
    const coordination = new CoordinationStore(c.doc, tables.coordination, () => now);
    // Act
    const a = await coordination.acquire('w', 'A', 60);
    const b = await coordination.acquire('w', 'B', 60);
    now += 61;
    const bAfterExpiry = await coordination.acquire('w', 'B', 60);
    await coordination.release('w', 'A'); // not A's any more: no effect
    const aAgain = await coordination.acquire('w', 'A', 60);
    await coordination.release('w', 'B');
    const aAfterRelease = await coordination.acquire('w', 'A', 60);
    // Assess
    expect([a, b, bAfterExpiry, aAgain, aAfterRelease]).toEqual([true, false, true, false, true]);
  });

  it('records one final row per (round, hotkey) whoever writes it, and counts the round once', async () => {
    // Prepare
    const { t, outcomes } = await outcomesOn('final', clock);
    const coordination = new CoordinationStore(c.doc, t.coordination);
    await coordination.startRound(
      27,
      { roundId: 'r-f', startBlock: 1, nextRoundBlock: 361, expected: 2, done: 0, deadline: 9e9 },
      null,
    );
    await outcomes.beginAttempt('r-f', '5V', 3, 0);
    // Act
    const first = await outcomes.recordVerified(outcome('5V', 'r-f', 'NVIDIA L4', 2), {
      verifier: 'cpu',
      rowsChecked: 34,
      entriesChecked: 34 * 64,
    });
    const again = await outcomes.recordVerified(outcome('5V', 'r-f', 'NVIDIA L4', 2));
    const failureAfter = await outcomes.recordFailure({ ...outcome('5V', 'r-f', null, null), error: 'late' });
    const begunAfterFinal = await outcomes.beginAttempt('r-f', '5V', 3, 0);
    // Assess
    expect([first, again, failureAfter]).toEqual(['recorded', 'duplicate', 'duplicate']);
    expect(begunAfterFinal).toEqual({ kind: 'past', state: 'final' });
    const rows = await new PogResultStore(c.doc, t.pogResults).rows('5V');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ gpuName: 'NVIDIA L4', numGpus: 2, verifier: 'cpu', rowsChecked: 34 });
    expect((await coordination.round(27))?.done).toBe(1);
  });

  it('lets one session per (round, hotkey) run at a time: a twin waits for the lease, a fault or its expiry', async () => {
    // Prepare: a clock we move; the first invocation's lease runs 100 s
    let nowS = 1_000;
    const { outcomes } = await outcomesOn('lease', () => new Date(nowS * 1000));
    // Act
    const first = await outcomes.beginAttempt('r-l', '5L', 3, nowS + 100);
    const twin = await outcomes.beginAttempt('r-l', '5L', 3, nowS + 100);
    await outcomes.noteFault('r-l', '5L', 'timing check failed');
    const afterFault = await outcomes.beginAttempt('r-l', '5L', 3, nowS + 100);
    nowS += 50;
    const whileLeased = await outcomes.beginAttempt('r-l', '5L', 3, nowS + 100);
    nowS += 51;
    const afterExpiry = await outcomes.beginAttempt('r-l', '5L', 3, nowS + 100);
    nowS += 101;
    const overLimit = await outcomes.beginAttempt('r-l', '5L', 3, nowS + 100);
    // Assess: a twin is told when to come back and is not counted; the limit still closes the pair
    expect(first).toEqual({ kind: 'begun', attempt: 1 });
    expect(twin).toEqual({ kind: 'leased', leaseUntil: 1_100 });
    expect(afterFault).toEqual({ kind: 'begun', attempt: 2 });
    expect(whileLeased).toEqual({ kind: 'leased', leaseUntil: 1_100 });
    expect(afterExpiry).toEqual({ kind: 'begun', attempt: 3 });
    expect(overLimit).toEqual({ kind: 'closed' });
    expect((await outcomes.attemptState('r-l', '5L'))?.attempts).toBe(3);
  });

  it("keeps a miner's open allocation across rounds until its own key is released, never a newer one", async () => {
    // Prepare
    const { outcomes } = await outcomesOn('alloc');
    // Act
    const before = await outcomes.openAllocation('5A');
    await outcomes.noteAllocating('5A', 'r-1', 'KEY-1');
    const afterFirst = await outcomes.openAllocation('5A');
    await outcomes.noteAllocating('5A', 'r-2', 'KEY-2');
    await outcomes.noteReleased('5A', 'KEY-1'); // a late finally of the older session
    const afterStaleRelease = await outcomes.openAllocation('5A');
    await outcomes.noteReleased('5A', 'KEY-2');
    await outcomes.noteReleased('5B', 'KEY-2'); // nothing recorded: no error
    // Assess
    expect(before).toBeNull();
    expect(afterFirst).toBe('KEY-1');
    expect(afterStaleRelease).toBe('KEY-2');
    expect(await outcomes.openAllocation('5A')).toBeNull();
    expect(await outcomes.openAllocation('5B')).toBeNull();
  });

  it('scores only from the 4 newest rows even when a writer did not trim', async () => {
    // Prepare: an old success, then 4 failure rows written without trimming (the worker cannot delete)
    const { t, outcomes } = await outcomesOn('window', clock);
    await outcomes.recordVerified(outcome('5W', 'r-0', 'NVIDIA L4', 1));
    for (const r of ['r-1', 'r-2', 'r-3', 'r-4']) {
      await outcomes.recordFailure({ ...outcome('5W', r, null, null), error: 'refused' });
    }
    const store = new PogResultStore(c.doc, t.pogResults);
    // Act
    const specs = await store.allSpecs();
    const rows = await store.rows('5W');
    // Assess
    expect(rows).toHaveLength(5);
    expect(specs['5W']).toBeUndefined();
  });
});
