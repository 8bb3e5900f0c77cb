import type { KeyringPair } from '@polkadot/keyring/types';
import { describe, expect, it } from 'vitest';
import { startWandbServer } from '../../helpers/wandb-server.js';
import {
  addValidatorRuns,
  MINER_A,
  MINER_B,
  makeKeys,
  metagraphOf,
  referenceSignature,
  statEntry,
  validatorConfig,
} from './fixtures.js';
import { localWandb } from './local-wandb.js';

const API_KEY = 'local-test-key-0123456789';
const MINER_C = '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy';

const [v1, v2, v3, poor, trusted] = (await makeKeys(
  'Validator1',
  'Validator2',
  'Validator3',
  'Poor',
  'Trusted',
)) as [KeyringPair, KeyringPair, KeyringPair, KeyringPair, KeyringPair];
const { server, service, replaceServer } = localWandb(API_KEY, {
  // one try per request unless a test is about retries: these pin single-failure outcomes
  retries: 0,
  trustedPenaltyValidators: [trusted.address],
});

function metagraph() {
  return metagraphOf([
    { hotkey: v1.address, stake: 20_000 },
    { hotkey: v2.address, stake: 15_000 },
    { hotkey: v3.address, stake: 10_001 },
    { hotkey: poor.address, stake: 10_000 },
    { hotkey: trusted.address, stake: 5 },
    { hotkey: MINER_A, stake: 0 },
  ]);
}

describe('createWandbState().read()', () => {
  it('verifies signatures, keeps permitted validators and picks the dominant stats entry', async () => {
    // Prepare
    const h100 = statEntry(5, MINER_A, 'NVIDIA H100 80GB HBM3', 8, 66);
    const a100 = statEntry(5, MINER_A, 'NVIDIA A100-SXM4-80GB', 8, 38);
    server().addRun({
      name: 'run00001',
      config: validatorConfig({ pair: v1, runId: 'run00001', allocated: [MINER_A], stats: { '5': h100 } }),
    });
    server().addRun({
      name: 'run00002',
      config: validatorConfig({
        pair: v2,
        runId: 'run00002',
        allocated: [MINER_A, MINER_B],
        stats: { '5': a100 },
      }),
    });
    server().addRun({
      name: 'run00003',
      config: validatorConfig({
        pair: v3,
        runId: 'run00003',
        stats: { '5': { ...h100, reliability_score: 0.5 } },
      }),
    });
    const { wandb, rec } = service();
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(state.meta).toMatchObject({ status: 'complete', runsRead: 3, runsAccepted: 3, runsRejected: 0 });
    expect([...state.allocatedHotkeys].sort()).toEqual([MINER_A, MINER_B].sort());
    expect(state.statsAllocated['5']).toMatchObject({
      gpu_specs: { gpu_name: 'NVIDIA H100 80GB HBM3', num_gpus: 8 },
      score: 66,
    });
    expect(state.statsAllocated['5']?.own_score).toBe(true);
    expect(server().requests[0]?.authorization).toBe(
      `Basic ${Buffer.from(`api:${API_KEY}`).toString('base64')}`,
    );
    expect(JSON.parse(String(server().requests[0]?.variables.filters))).toEqual({
      $and: [{ 'config.role': 'validator' }, { 'config.config.netuid': 27 }],
    });
    expect(rec.logs.at(-1)).toMatchObject({ level: 'info', message: 'wandb state read' });
  });

  it('ignores unsigned runs, forged signatures and signatures over another run id', async () => {
    // Prepare
    const stats = { '7': statEntry(7, MINER_C, 'NVIDIA H200', 8, 80) };
    server().addRun({
      name: 'unsigned',
      config: validatorConfig({ pair: v1, runId: 'unsigned', allocated: [MINER_A], stats, signature: null }),
    });
    server().addRun({
      name: 'forged01',
      config: validatorConfig({
        pair: v2,
        runId: 'forged01',
        allocated: [MINER_B],
        stats,
        signature: referenceSignature(poor, 'forged01'),
      }),
    });
    server().addRun({
      name: 'replay01',
      config: validatorConfig({
        pair: v3,
        runId: 'replay01',
        allocated: [MINER_C],
        stats,
        signature: referenceSignature(v3, 'other-run'),
      }),
    });
    server().addRun({
      name: 'badhex01',
      config: validatorConfig({
        pair: v3,
        runId: 'badhex01',
        allocated: [MINER_C],
        signature: 'zz'.repeat(64),
      }),
    });
    const { wandb } = service();
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(state.allocatedHotkeys).toEqual([]);
    expect(state.statsAllocated).toEqual({});
    expect(state.meta).toMatchObject({ status: 'complete', runsAccepted: 0, runsRejected: 4 });
  });

  it('ignores validators at or below the permit stake and honours a configured permit stake', async () => {
    // Prepare
    server().addRun({
      name: 'poorrun1',
      config: validatorConfig({
        pair: poor,
        runId: 'poorrun1',
        allocated: [MINER_A],
        stats: { '1': statEntry(1, MINER_A, 'NVIDIA H200', 1, 10) },
      }),
    });
    // Act
    const strict = await service().wandb.read(metagraph());
    const lenient = await service({ permitStake: 9_999 }).wandb.read(metagraph());
    // Assess
    expect(strict.allocatedHotkeys).toEqual([]);
    expect(strict.statsAllocated).toEqual({});
    expect(lenient.allocatedHotkeys).toEqual([MINER_A]);
    expect(lenient.statsAllocated['1']?.score).toBe(10);
  });

  it('reads penalties from trusted validators only, as strings or {hotkey, status_code, description} (D2)', async () => {
    // Prepare
    const penalties = [
      MINER_A,
      { hotkey: MINER_B, status_code: 'SSH_ACCESS_DISABLED', description: 'ssh refused' },
      42,
      { nope: 1 },
    ];
    server().addRun({
      name: 'trusted1',
      config: validatorConfig({ pair: trusted, runId: 'trusted1', penalties }),
    });
    server().addRun({
      name: 'untrust1',
      config: validatorConfig({ pair: v1, runId: 'untrust1', penalties: [MINER_C] }),
    });
    const { wandb } = service();
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(state.penalizedHotkeys).toEqual([
      MINER_A,
      { hotkey: MINER_B, status_code: 'SSH_ACCESS_DISABLED', description: 'ssh refused' },
    ]);
  });

  it('follows cursors across pages and stops, marked partial, at wandb.maxPages', async () => {
    // Prepare
    for (let i = 0; i < 12; i++) {
      const runId = `page${String(i).padStart(4, '0')}`;
      server().addRun({
        name: runId,
        config: validatorConfig({ pair: v1, runId, allocated: [`5Hotkey${i}`] }),
      });
    }
    // Act
    const all = await service({ perPage: 5 }).wandb.read(metagraph());
    const pagesRead = server().requests.length;
    const bounded = await service({ perPage: 5, maxPages: 2 }).wandb.read(metagraph());
    // Assess
    expect(pagesRead).toBe(3);
    expect(server().requests[1]?.variables.cursor).toEqual(expect.any(String));
    expect(all.meta).toMatchObject({ status: 'complete', runsRead: 12, runsAccepted: 12 });
    // one allocation list per validator hotkey: its newest run
    expect(all.allocatedHotkeys).toEqual(['5Hotkey11']);
    expect(bounded.meta).toMatchObject({ status: 'partial', runsRead: 10 });
    expect(bounded.meta.error).toMatch(/maxPages/);
  });

  it('returns an empty state marked unavailable, with a warning and a metric, when W&B is too slow', async () => {
    // Prepare
    server().addRun({
      name: 'slow0001',
      config: validatorConfig({ pair: v1, runId: 'slow0001', allocated: [MINER_A] }),
    });
    server().fault = () => ({ kind: 'delay', ms: 3_000 });
    const { wandb, rec } = service({ timeoutMs: 150 });
    const started = Date.now();
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(state).toMatchObject({ allocatedHotkeys: [], penalizedHotkeys: [], statsAllocated: {} });
    expect(state.meta.status).toBe('unavailable');
    expect(state.meta.error).toMatch(/TimeoutError/);
    expect(rec.logs.at(-1)).toMatchObject({ level: 'warn' });
    expect(rec.metrics).toContainEqual({ name: 'WandbReadFailed', unit: 'Count', value: 1 });
  });

  it('keeps what page one gave when page two times out (partial)', async () => {
    // Prepare
    addValidatorRuns(
      server(),
      { pair: v2, runId: 'older001', allocated: [MINER_B] },
      { pair: v1, runId: 'newer001', allocated: [MINER_A] },
    );
    server().fault = (index) => (index === 1 ? { kind: 'stall' } : undefined);
    const { wandb, rec } = service({ perPage: 1, timeoutMs: 150 });
    // Act
    const state = await wandb.read(metagraph());
    // Assess: runs are read oldest first, as the reference reads them
    expect(state.meta.status).toBe('partial');
    expect(state.allocatedHotkeys).toEqual([MINER_B]);
    expect(rec.metrics).toContainEqual({ name: 'WandbReadPartial', unit: 'Count', value: 1 });
  });

  it.each([
    ['a body that is not JSON', { kind: 'garbage' } as const, /not JSON/],
    [
      'GraphQL errors',
      { kind: 'graphql-error', message: 'project not found' } as const,
      /GraphQL error: project not found/,
    ],
    ['HTTP 500', { kind: 'status', status: 500 } as const, /HTTP 500/],
    ['an oversized body', { kind: 'oversized', bytes: 300_000 } as const, /exceeds the 262144-byte limit/],
    [
      'a wrong shape',
      { kind: 'raw', body: '{"data":{"project":{"runs":{"edges":"x"}}}}' } as const,
      /expected shape/,
    ],
  ])('treats %s as unavailable without throwing', async (_label, fault, error) => {
    // Prepare
    server().addRun({
      name: 'fault001',
      config: validatorConfig({ pair: v1, runId: 'fault001', allocated: [MINER_A] }),
    });
    server().fault = () => fault;
    const { wandb } = service({ maxResponseBytes: 262_144 });
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(state.meta.status).toBe('unavailable');
    expect(state.meta.error).toMatch(error);
    expect(state.allocatedHotkeys).toEqual([]);
  });

  it('treats an unreachable W&B (connection refused) as unavailable', async () => {
    // Prepare
    const { wandb, rec } = service();
    const replacement = await startWandbServer({ apiKey: API_KEY }); // started first: the old port stays free
    await server().stop();
    replaceServer(replacement); // afterEach stops this one
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(state.meta.status).toBe('unavailable');
    expect(state.meta.error).toMatch(/fetch failed/);
    expect(rec.metrics).toContainEqual({ name: 'WandbReadFailed', unit: 'Count', value: 1 });
  });

  it('reports a rejected API key as HTTP 401 without echoing the key', async () => {
    // Prepare
    const { wandb, rec } = service({}, 'wrong-key-abcdef');
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(state.meta).toMatchObject({ status: 'unavailable' });
    expect(state.meta.error).toMatch(/HTTP 401/);
    expect(JSON.stringify(rec.logs)).not.toContain('wrong-key-abcdef');
  });

  it('skips runs with malformed configs or stats and still uses the good ones', async () => {
    // Prepare
    server().addRun({
      name: 'broken01',
      config: validatorConfig({ pair: v3, runId: 'broken01', allocated: [MINER_C] }),
      rawConfig: '{"hotkey": {"value": ',
    });
    server().addRun({
      name: 'weird001',
      config: validatorConfig({
        pair: v2,
        runId: 'weird001',
        allocated: [MINER_B, 17, null] as never,
        stats: {
          '3': statEntry(3, MINER_B, 'NVIDIA H200', 8, 1e6),
          x: statEntry(9, MINER_B, 'NVIDIA H200', 8, 80),
        },
      }),
    });
    server().addRun({
      name: 'good0001',
      config: validatorConfig({
        pair: v1,
        runId: 'good0001',
        stats: JSON.stringify({ '4': statEntry(4, MINER_A, 'NVIDIA H200', 8, 80) }) as never,
      }),
    });
    const { wandb, rec } = service();
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(state.meta).toMatchObject({ status: 'complete', runsAccepted: 2, runsRejected: 1 });
    expect(state.allocatedHotkeys).toEqual([MINER_B]);
    expect(Object.keys(state.statsAllocated)).toEqual(['4']);
    expect(rec.logs.at(-1)?.extra[0]).toMatchObject({ malformedStats: 2 });
  });

  it('never throws into the cycle, even on an unexpected failure', async () => {
    // Prepare
    const broken = {
      netuid: 27,
      block: 1,
      get neurons(): never {
        throw new Error('metagraph exploded');
      },
    };
    const { wandb, rec } = service();
    // Act
    const state = await wandb.read(broken);
    // Assess
    expect(state.meta).toMatchObject({ status: 'unavailable', error: 'Error: metagraph exploded' });
    expect(rec.metrics).toContainEqual({ name: 'WandbReadFailed', unit: 'Count', value: 1 });
  });

  it('does not call W&B when switched off', async () => {
    // Prepare
    const { wandb } = service({ enabled: false });
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(state.meta.status).toBe('disabled');
    expect(server().requests).toHaveLength(0);
  });
});
