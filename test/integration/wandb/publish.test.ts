import { createHash } from 'node:crypto';
import type { KeyringPair } from '@polkadot/keyring/types';
import { signatureVerify } from '@polkadot/util-crypto';
import { describe, expect, it } from 'vitest';
import type { UidStat } from '../../../lib/ports.js';
import type { PublishRunInput } from '../../../lib/wandb/publish.js';
import { verifyRunSignature } from '../../../lib/wandb/signature.js';
import { MINER_A, MINER_B, makeKeys, metagraphOf } from './fixtures.js';
import { localWandb } from './local-wandb.js';

const API_KEY = 'local-test-key-publish';
const [us, other] = (await makeKeys('OurValidator', 'SomeoneElse')) as [KeyringPair, KeyringPair];
const { server, service } = localWandb(API_KEY, { retries: 0 });

const h100: UidStat = {
  hotkey: MINER_A,
  gpu_specs: { gpu_name: 'NVIDIA H100 80GB HBM3', num_gpus: 8 },
  score: 66,
  allocated: true,
  own_score: true,
  reliability_score: 0,
  created_at: '2026-01-01 00:00:00',
};

function input(overrides: Partial<PublishRunInput> = {}): PublishRunInput {
  return {
    netuid: 27,
    signer: us,
    allocatedHotkeys: [MINER_A],
    stats: {
      '3': h100,
      '4': { ...h100, hotkey: MINER_B, gpu_specs: null, score: 0, allocated: false },
    },
    extraConfig: { subtensor: { network: 'finney' }, wallet: { name: 'secret-wallet' } },
    ...overrides,
  };
}

describe('createWandbState().publish()', () => {
  it('creates a signed run in the reference layout that our own reader accepts', async () => {
    // Prepare
    const { wandb } = service();
    // Act
    const result = await wandb.publish(input());
    const state = await wandb.read(metagraphOf([{ hotkey: us.address, stake: 50_000 }]));
    // Assess
    expect(result).toMatchObject({
      status: 'published',
      created: true,
      runId: expect.stringMatching(/^[a-z0-9]{8}$/),
    });
    const run = server().runs[0];
    expect(run?.displayName).toBe(`validator-${us.address}`);
    expect(run?.config).toMatchObject({
      hotkey: us.address,
      role: 'validator',
      version: 190,
      config: { netuid: 27, subtensor: { network: 'finney' } },
      allocated_hotkeys: [MINER_A],
      stats: {
        '3': {
          uid: 3,
          hotkey: MINER_A,
          gpu_specs: { gpu_name: 'NVIDIA H100 80GB HBM3', num_gpus: 8 },
          score: 66,
        },
        '4': { uid: 4, gpu_specs: null, score: 0, allocated: false, own_score: true, reliability_score: 0 },
      },
    });
    expect(run?.config.config).not.toHaveProperty('wallet');
    // sr25519 signatures are randomised, so check it with polkadot's generic verifier, not by value
    const digest = createHash('sha256')
      .update(result.runId ?? '')
      .digest();
    expect(signatureVerify(digest, `0x${String(run?.config.signature)}`, us.address)).toMatchObject({
      isValid: true,
      crypto: 'sr25519',
    });
    expect(verifyRunSignature(result.runId ?? '', us.address, run?.config.signature)).toBe(true);
    expect(state.meta).toMatchObject({ status: 'complete', runsAccepted: 1 });
    expect(state.allocatedHotkeys).toEqual([MINER_A]);
    expect(state.statsAllocated).toEqual({
      '3': {
        hotkey: MINER_A,
        gpu_specs: { gpu_name: 'NVIDIA H100 80GB HBM3', num_gpus: 8 },
        score: 66,
        allocated: true,
        own_score: true,
        reliability_score: 0,
      },
    });
  });

  it('reuses the run found by display name and netuid instead of creating another', async () => {
    // Prepare
    const first = await service().wandb.publish(input());
    const { wandb } = service(); // a fresh container: no cached run id
    // Act
    const second = await wandb.publish(input({ allocatedHotkeys: [MINER_A, MINER_B] }));
    // Assess
    expect(second).toMatchObject({ status: 'published', runId: first.runId, created: false });
    expect(server().runs).toHaveLength(1);
    expect(server().runs[0]?.config.allocated_hotkeys).toEqual([MINER_A, MINER_B]);
    const lookup = server().requests.find(
      (r) => r.variables.filters && String(r.variables.filters).includes('display_name'),
    );
    expect(JSON.parse(String(lookup?.variables.filters))).toEqual({
      $and: [{ 'config.config.netuid': 27 }, { display_name: `validator-${us.address}` }],
    });
  });

  it('remembers its run id in a warm container and skips the lookup next time', async () => {
    // Prepare
    const { wandb } = service();
    const first = await wandb.publish(input());
    const requestsBefore = server().requests.length;
    // Act
    const second = await wandb.publish(input());
    // Assess
    expect(second).toMatchObject({ status: 'published', runId: first.runId, created: false });
    expect(server().requests.length - requestsBefore).toBe(1);
  });

  it('uses a given run id without a lookup', async () => {
    // Prepare
    const { wandb } = service();
    // Act
    const result = await wandb.publish(input({ runId: 'known123' }));
    // Assess
    expect(result).toMatchObject({ status: 'published', runId: 'known123', created: true });
    expect(server().requests).toHaveLength(1);
  });

  it('does not take over a run that carries our display name but another hotkey', async () => {
    // Prepare
    server().addRun({
      name: 'squatter',
      displayName: `validator-${us.address}`,
      config: { hotkey: other.address, role: 'validator', config: { netuid: 27 } },
    });
    const { wandb } = service();
    // Act
    const result = await wandb.publish(input());
    // Assess
    expect(result.status).toBe('published');
    expect(result.runId).not.toBe('squatter');
    expect(server().runs.find((r) => r.name === 'squatter')?.config.hotkey).toBe(other.address);
  });

  it('returns failed with a log line and a metric when W&B refuses, never throwing', async () => {
    // Prepare
    server().fault = () => ({ kind: 'status', status: 503 });
    const { wandb, rec } = service();
    // Act
    const result = await wandb.publish(input({ runId: 'known123' }));
    // Assess
    expect(result).toMatchObject({ status: 'failed', error: expect.stringMatching(/HTTP 503/) });
    expect(rec.metrics).toContainEqual({ name: 'WandbPublishFailed', unit: 'Count', value: 1 });
    expect(rec.logs.at(-1)).toMatchObject({ level: 'warn', message: 'wandb publish failed' });
  });

  it('refuses stats outside the 0-100 scale before calling W&B', async () => {
    // Prepare
    const { wandb } = service();
    // Act
    const result = await wandb.publish(input({ stats: { '3': { ...h100, score: 5600 } } }));
    // Assess
    expect(result).toMatchObject({ status: 'failed', error: expect.stringMatching(/stats\.3\.score/) });
    expect(server().requests).toHaveLength(0);
  });

  it('refuses a stats entry whose uid disagrees with its key', async () => {
    // Prepare
    const { wandb } = service();
    // Act
    const result = await wandb.publish(input({ stats: { '3': { ...h100, uid: 4 } } }));
    // Assess
    expect(result).toMatchObject({ status: 'failed', error: expect.stringMatching(/stats\.3\.uid is 4/) });
    expect(server().requests).toHaveLength(0);
  });

  it('does nothing when switched off', async () => {
    // Prepare
    const { wandb } = service({ enabled: false });
    // Act
    const result = await wandb.publish(input());
    // Assess
    expect(result).toEqual({ status: 'disabled' });
    expect(server().requests).toHaveLength(0);
  });
});
