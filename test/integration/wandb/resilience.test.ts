import type { KeyringPair } from '@polkadot/keyring/types';
import { describe, expect, it } from 'vitest';
import {
  addValidatorRuns,
  MINER_A,
  MINER_B,
  makeKeys,
  metagraphOf,
  statEntry,
  validatorConfig,
} from './fixtures.js';
import { localWandb } from './local-wandb.js';

// a W&B key's shape (40 hex characters): the canary that must never reach a log line or a result
const API_KEY = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const BASIC = Buffer.from(`api:${API_KEY}`).toString('base64');
const [v1, v2] = (await makeKeys('Validator1', 'Validator2')) as [KeyringPair, KeyringPair];
// the deployed defaults (retries on), with short backoffs so the suite stays quick
const { server, service } = localWandb(API_KEY, { retryBaseMs: 20 });

const metagraph = () =>
  metagraphOf([
    { hotkey: v1.address, stake: 20_000 },
    { hotkey: v2.address, stake: 15_000 },
  ]);

const addTwoRuns = () =>
  addValidatorRuns(
    server(),
    { pair: v2, runId: 'older001', allocated: [MINER_B] },
    { pair: v1, runId: 'newer001', allocated: [MINER_A] },
  );

describe('W&B reads that survive a bad minute', () => {
  it('retries 429 (honouring Retry-After), 503 and a timed-out request, then reads the state complete', async () => {
    // Prepare
    addTwoRuns();
    server().fault = (index) =>
      [
        { kind: 'status', status: 429, retryAfter: '0' } as const,
        { kind: 'status', status: 503 } as const,
        { kind: 'delay', ms: 2_000 } as const,
      ][index];
    const { wandb, rec } = service({ timeoutMs: 300 });
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(server().requests).toHaveLength(4);
    expect(state.meta).toMatchObject({ status: 'complete', runsAccepted: 2 });
    expect([...state.allocatedHotkeys].sort()).toEqual([MINER_A, MINER_B].sort());
    expect(rec.metrics.map((m) => m.name)).not.toContain('WandbReadFailed');
  });

  it('gives up after wandb.retries and reports what the first page gave as partial', async () => {
    // Prepare
    addTwoRuns();
    server().fault = (index) => (index >= 1 ? { kind: 'status', status: 502 } : undefined);
    const { wandb, rec } = service({ perPage: 1, retries: 2 });
    // Act
    const state = await wandb.read(metagraph());
    // Assess: page one, then page two tried 1 + 2 times
    expect(server().requests).toHaveLength(4);
    expect(state.meta).toMatchObject({ status: 'partial', runsAccepted: 1 });
    expect(state.meta.error).toMatch(/HTTP 502/);
    expect(state.allocatedHotkeys).toEqual([MINER_B]);
    expect(rec.metrics).toContainEqual({ name: 'WandbReadPartial', unit: 'Count', value: 1 });
  });

  it('stops retrying at the read deadline', async () => {
    // Prepare
    addTwoRuns();
    server().fault = () => ({ kind: 'status', status: 503 });
    const { wandb } = service({ retries: 10, retryBaseMs: 400, readDeadlineMs: 1_000 });
    const started = Date.now();
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(Date.now() - started).toBeLessThan(1_800);
    expect(state.meta.status).toBe('unavailable');
    expect(server().requests.length).toBeLessThan(11);
  });

  it('does not retry what a retry cannot fix (401)', async () => {
    // Prepare
    server().fault = () => ({ kind: 'status', status: 401 });
    const { wandb } = service();
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(server().requests).toHaveLength(1);
    expect(state.meta.status).toBe('unavailable');
  });

  it("keeps a run whose config holds Python's NaN and Infinity, dropping only the unusable stats entry", async () => {
    // Prepare
    const good = statEntry(5, MINER_A, 'NVIDIA H100 80GB HBM3', 8, 66);
    const config = validatorConfig({
      pair: v1,
      runId: 'nan00001',
      allocated: [MINER_A],
      stats: { '5': good },
    });
    const wire = JSON.stringify(
      Object.fromEntries(Object.entries(config).map(([k, value]) => [k, { value, desc: null }])),
    ).replace(
      '"stats":{"value":{',
      `"stats":{"value":{"6":${JSON.stringify({ ...good, uid: 6, hotkey: MINER_B })
        .replace('"score":66', '"score":NaN')
        .replace('"reliability_score":0', '"reliability_score":Infinity')},`,
    );
    server().addRun({ name: 'nan00001', config, rawConfig: wire });
    const { wandb } = service();
    // Act
    const state = await wandb.read(metagraph());
    // Assess
    expect(wire).toContain('NaN');
    expect(state.meta).toMatchObject({ status: 'complete', runsAccepted: 1, runsRejected: 0 });
    expect(state.allocatedHotkeys).toEqual([MINER_A]);
    expect(state.statsAllocated['5']).toMatchObject({ score: 66 });
    expect(state.statsAllocated['6']).toBeUndefined();
  });
});

describe('the W&B API key never reaches a log line or a result (canary)', () => {
  it('redacts a GraphQL error that echoes the Authorization header, on read and on publish', async () => {
    // Prepare
    server().fault = () => ({ kind: 'echo-auth' });
    const { wandb, rec } = service();
    // Act
    const state = await wandb.read(metagraph());
    const published = await wandb.publish({ netuid: 27, signer: v1, allocatedHotkeys: [], stats: {} });
    // Assess: the stand-in did echo it, and none of it came through
    const written = JSON.stringify({ logs: rec.logs, meta: state.meta, published });
    expect(server().requests.length).toBeGreaterThanOrEqual(2);
    expect(state.meta.error).toMatch(/GraphQL error: permission denied/);
    expect(published).toMatchObject({ status: 'failed' });
    expect(written).toContain('[redacted]');
    expect(written).not.toContain(API_KEY);
    expect(written).not.toContain(BASIC);
  });
});
