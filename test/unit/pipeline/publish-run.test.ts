import { describe, expect, it } from 'vitest';
import { createOwnRunPublisher, toPublishedStats } from '../../../lib/pipeline/publish-run.js';
import type { Metagraph, UidStat } from '../../../lib/ports.js';
import type { MinerRow } from '../../../lib/store/miners.js';
import { deferredWandbState } from '../../../lib/wandb/deferred.js';
import type { PublishRunInput, PublishRunResult } from '../../../lib/wandb/publish.js';
import { logTo } from '../../helpers/log.js';

const stat = (hotkey: string, overrides: Partial<UidStat> = {}): UidStat => ({
  hotkey,
  allocated: false,
  own_score: true,
  score: 50,
  gpu_specs: { gpu_name: 'NVIDIA H100 80GB HBM3', num_gpus: 8 },
  reliability_score: 0,
  ...overrides,
});

const metagraph: Metagraph = {
  netuid: 27,
  block: 100,
  neurons: [0, 1, 2].map((uid) => ({
    uid,
    hotkey: `hk${uid}`,
    coldkey: `ck${uid}`,
    axon: null,
    stake: 0,
    validatorPermit: false,
    active: true,
    lastUpdate: 0,
  })),
};

const row = (uid: number, hotkey: string, allocated: boolean): [number, MinerRow] => [
  uid,
  { uid, hotkey, allocated, updatedAt: '2026-01-01T00:00:00Z' },
];

function harness(options: { stored?: string; result?: PublishRunResult; minersFail?: boolean } = {}) {
  const calls: PublishRunInput[] = [];
  const saved: string[] = [];
  const warnings: string[] = [];
  const publisher = createOwnRunPublisher({
    wandb: {
      publish: async (input) => {
        calls.push(input);
        return options.result ?? { status: 'published', runId: 'abc12345', created: true };
      },
    },
    signer: { address: 'hkOurs', sign: () => new Uint8Array(64) },
    miners: {
      readAll: async () => {
        if (options.minersFail) throw new Error('ddb down');
        // uid 2 was allocated under an older hotkey: not ours to vouch for any more
        return new Map([row(0, 'hk0', true), row(1, 'hk1', false), row(2, 'hkOld', true)]);
      },
    },
    runIds: {
      get: async () => options.stored,
      put: async (_netuid, _hotkey, runId) => {
        saved.push(runId);
      },
    },
    logger: logTo((level, message) => {
      if (level === 'warn') warnings.push(message);
    }),
  });
  return { publisher, calls, saved, warnings };
}

describe('Function: toPublishedStats()', () => {
  it('rewrites allocated from the local table and keeps only {gpu_name, num_gpus} specs', () => {
    // Prepare
    const stats = {
      '0': stat('hk0'),
      '1': stat('hk1', { allocated: true, gpu_specs: { name: 'odd' }, own_score: false }),
      '2': stat('hk2', { gpu_specs: null, score: Number.NaN }),
    };
    // Act
    const out = toPublishedStats(stats, new Set(['hk0']));
    // Assess
    expect(out['0']).toMatchObject({
      allocated: true,
      gpu_specs: { gpu_name: 'NVIDIA H100 80GB HBM3', num_gpus: 8 },
    });
    expect(out['1']).toMatchObject({ allocated: false, gpu_specs: null, own_score: false });
    expect(out['2']).toMatchObject({ score: 0, gpu_specs: null });
  });
});

describe('Function: createOwnRunPublisher()', () => {
  it('publishes our allocations (current hotkeys only) and saves a new run id', async () => {
    // Prepare
    const { publisher, calls, saved } = harness();
    // Act
    const result = await publisher.publish({ netuid: 27, metagraph, stats: { '0': stat('hk0') } });
    // Assess
    expect(result.status).toBe('published');
    expect(calls[0]?.allocatedHotkeys).toEqual(['hk0']);
    expect(calls[0]?.runId).toBeUndefined();
    expect(calls[0]?.stats['0']?.allocated).toBe(true);
    expect(saved).toEqual(['abc12345']);
  });

  it('passes the stored run id and does not rewrite it when unchanged', async () => {
    // Prepare
    const { publisher, calls, saved } = harness({ stored: 'abc12345' });
    // Act
    await publisher.publish({ netuid: 27, metagraph, stats: {} });
    // Assess
    expect(calls[0]?.runId).toBe('abc12345');
    expect(saved).toEqual([]);
  });

  it('does not publish when the miners table cannot be read', async () => {
    // Prepare
    const { publisher, calls, warnings } = harness({ minersFail: true });
    // Act
    const result = await publisher.publish({ netuid: 27, metagraph, stats: {} });
    // Assess
    expect(result.status).toBe('failed');
    expect(calls).toEqual([]);
    expect(warnings[0]).toMatch(/miners table/);
  });
});

describe('Function: deferredWandbState()', () => {
  it('degrades to an unavailable state while setup fails, and retries setup on the next use', async () => {
    // Prepare
    let attempts = 0;
    const metrics: string[] = [];
    const wandb = deferredWandbState(
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('secret empty');
        return {
          read: async () => ({
            allocatedHotkeys: ['x'],
            penalizedHotkeys: [],
            statsAllocated: {},
            meta: { status: 'complete', runsRead: 1, runsAccepted: 1, runsRejected: 0 },
          }),
          publish: async () => ({ status: 'published', runId: 'r1' }),
        };
      },
      { metrics: { addMetric: (name) => metrics.push(name) } },
    );
    // Act
    const first = await wandb.read(metagraph);
    const second = await wandb.read(metagraph);
    const published = await wandb.publish({} as PublishRunInput);
    // Assess
    expect(first.meta).toMatchObject({ status: 'unavailable', error: expect.stringMatching(/secret empty/) });
    expect(first.allocatedHotkeys).toEqual([]);
    expect(second.allocatedHotkeys).toEqual(['x']);
    expect(published.status).toBe('published');
    expect(attempts).toBe(2);
    expect(metrics).toEqual(['WandbReadFailed']);
  });
});
