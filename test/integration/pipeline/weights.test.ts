import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildWeightsHandler } from '../../../functions/weights/handler.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { MetricName } from '../../../lib/observability/index.js';
import type { WeightsOptions } from '../../../lib/pipeline/weights.js';
import type { ExternalStatePort } from '../../../lib/ports.js';
import { RateLimitedError } from '../../../lib/ports.js';
import {
  AuditStore,
  CoordinationStore,
  PogResultStore,
  StatsStore,
  type TableNames,
} from '../../../lib/store/index.js';
import {
  clients,
  lambdaContext,
  makeTables,
  metagraph,
  StubChain,
  uniquePrefix,
  WEIGHTS_OPTIONS,
} from './fixtures.js';
import { quietObservability } from './helpers.js';

const OPTIONS: WeightsOptions = { ...WEIGHTS_OPTIONS, validatorHotkey: '5Hotkey0000' };

describe('Weight handler end to end on moto, with the scoring core', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);
  const { logger, metrics } = quietObservability();
  let tables: TableNames;
  let tick = 0;
  const clock = () => new Date(Date.UTC(2026, 10, 25, 11, 0, tick++));

  const build = (
    chain: StubChain,
    t: TableNames,
    options: WeightsOptions = OPTIONS,
    external?: ExternalStatePort,
  ) =>
    buildWeightsHandler({
      getDeps: async () => ({
        chain,
        pogResults: new PogResultStore(c.doc, t.pogResults, { now: clock }),
        stats: new StatsStore(c.doc, t.stats),
        coordination: new CoordinationStore(c.doc, t.coordination),
        audit: new AuditStore(c.doc, t.audit),
        performance: DEFAULT_PERFORMANCE_CONFIG,
        ...(external ? { external } : {}),
      }),
      options,
      logger,
      metrics,
    });

  /** Fresh tables where uid 1 has a local H100 x8 result, so the tick has something to set. */
  const scoredTables = async (name: string): Promise<TableNames> => {
    const t = await makeTables(c.ddb, uniquePrefix(name));
    await new PogResultStore(c.doc, t.pogResults, { now: clock }).record({
      hotkey: '5Hotkey0001',
      uid: 1,
      roundId: 'r1',
      gpuName: 'NVIDIA H100 80GB HBM3',
      numGpus: 8,
      attempts: 1,
      durationMs: 1,
    });
    return t;
  };

  beforeAll(async () => {
    // uid 1: H100 x8; uid 2: A100 then a failed round (still scores A100); uid 3: no axon (not queryable)
    tables = await scoredTables('weights');
    const pog = new PogResultStore(c.doc, tables.pogResults, { now: clock });
    await pog.record({
      hotkey: '5Hotkey0002',
      uid: 2,
      roundId: 'r1',
      gpuName: 'NVIDIA A100 80GB PCIe',
      numGpus: 1,
      attempts: 1,
      durationMs: 1,
    });
    await pog.record({
      hotkey: '5Hotkey0002',
      uid: 2,
      roundId: 'r2',
      gpuName: null,
      numGpus: null,
      error: 'timeout',
      attempts: 22,
      durationMs: 1,
    });
    await pog.record({
      hotkey: '5Hotkey0003',
      uid: 3,
      roundId: 'r1',
      gpuName: 'NVIDIA L4',
      numGpus: 1,
      attempts: 1,
      durationMs: 1,
    });
  });

  it('scores, writes stats, deletes rows of non-queryable uids, submits and audits', async () => {
    // Prepare
    const chain = new StubChain(metagraph(5, 5_000, (uid) => (uid === 3 ? { axon: null } : {})));
    const handler = build(chain, tables);
    // Act
    const summary = await handler({}, lambdaContext);
    const stats = await new StatsStore(c.doc, tables.stats).readAll();
    const audit = await new AuditStore(c.doc, tables.audit).latest(27);
    // Assess
    expect(summary).toMatchObject({ status: 'submitted', block: 5_001 });
    expect(chain.submissions).toHaveLength(1);
    const sent = chain.submissions[0];
    expect(sent?.uids).toEqual([1, 2]);
    // H100 x8 outweighs A100 x1
    expect((sent?.weights[0] ?? 0) > (sent?.weights[1] ?? 0)).toBe(true);
    expect(Math.max(...(sent?.weights ?? []))).toBe(65_535);
    expect(stats['1']).toMatchObject({ hotkey: '5Hotkey0001', own_score: true, gpu_specs: { num_gpus: 8 } });
    expect(stats['2']?.gpu_specs).toMatchObject({ gpu_name: 'NVIDIA A100 80GB PCIe' });
    expect(stats['3']).toMatchObject({ score: 0, gpu_specs: null });
    expect(await new PogResultStore(c.doc, tables.pogResults).rows('5Hotkey0003')).toEqual([]);
    expect(audit).toMatchObject({
      blockNumber: 5_001,
      mode: 'scores',
      uids: sent?.uids,
      weights: sent?.weights,
    });
  });

  it("turns the chain's own rate-limit rejection (a set that landed unconfirmed) into rate-limited", async () => {
    // Prepare: our metagraph read still shows LastUpdate 0, the chain already knows better
    const chain = new StubChain(metagraph(5, 6_000));
    chain.submitWeights = async () => {
      throw new RateLimitedError('weights were set 3 blocks ago', 6_097, 'chain');
    };
    const t = await scoredTables('weights-rl');
    // Act
    const summary = await build(chain, t)({}, lambdaContext);
    // Assess
    expect(summary).toEqual({ status: 'rate-limited', block: 6_000, nextAllowedBlock: 6_097 });
    expect(await new AuditStore(c.doc, t.audit).latest(27)).toBeNull();
  });

  it('does nothing while the rate limit holds, then submits again', async () => {
    // Prepare: our uid 0 last set weights at block 5001; the limit is 100 blocks
    const mg = metagraph(5, 5_050, (uid) => (uid === 0 ? { lastUpdate: 5_001 } : {}));
    const chain = new StubChain(mg);
    const handler = build(chain, tables);
    // Act
    const early = await handler({}, lambdaContext);
    chain.metagraphValue = { ...mg, block: 5_102 };
    const later = await handler({}, lambdaContext);
    // Assess
    expect(early).toEqual({ status: 'rate-limited', block: 5_050, nextAllowedBlock: 5_102 });
    expect(later.status).toBe('submitted');
    expect(chain.submissions).toHaveLength(1);
  });

  it('submits nothing when no uid has a positive score, and says so (status, warning, metric)', async () => {
    // Prepare: a fresh deployment: no PoG result, no external state; MinAllowedWeights 1
    const t = await makeTables(c.ddb, uniquePrefix('weights-zero'));
    const chain = new StubChain(metagraph(5, 7_000));
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const warn = vi.spyOn(logger, 'warn');
    try {
      // Act
      const summary = await build(chain, t)({}, lambdaContext);
      const stats = await new StatsStore(c.doc, t.stats).readAll();

      // Assess: not uniform weights over every uid, validators included
      expect(summary).toEqual({
        status: 'nothing-to-set',
        block: 7_000,
        reason: 'no uid of 5 has a positive score: nothing to set',
      });
      expect(chain.submissions).toEqual([]);
      expect(await new AuditStore(c.doc, t.audit).latest(27)).toBeNull();
      expect(Object.keys(stats)).toHaveLength(5);
      expect(addMetric).toHaveBeenCalledWith(MetricName.WeightsNothingToSet, 'Count', 1);
      expect(addMetric).not.toHaveBeenCalledWith(MetricName.WeightSubmissions, 'Count', 1);
      expect(warn).toHaveBeenCalledWith('weights not submitted: nothing to set', expect.anything());
    } finally {
      addMetric.mockRestore();
      warn.mockRestore();
    }
  });

  it('lets only one of two concurrent invocations submit', async () => {
    // Prepare
    const t = await scoredTables('weights-lock');
    const chain = new StubChain(metagraph(4, 9_000));
    const slow = Object.assign(Object.create(chain) as StubChain, {
      submitWeights: async (...args: Parameters<StubChain['submitWeights']>) => {
        await new Promise((r) => setTimeout(r, 200));
        return chain.submitWeights(...args);
      },
    });
    const handler = build(slow, t);
    // Act
    const results = await Promise.all([handler({}, lambdaContext), handler({}, lambdaContext)]);
    // Assess
    expect(results.map((r) => r.status).sort()).toEqual(['locked', 'submitted']);
    expect(chain.submissions).toHaveLength(1);
  });

  it('burns everything to the owner uid in burn mode (D8), with external state wired in', async () => {
    // Prepare
    const t = await makeTables(c.ddb, uniquePrefix('weights-burn'));
    const chain = new StubChain(metagraph(4, 9_000), undefined, 3);
    const external: ExternalStatePort = {
      read: async () => ({
        allocatedHotkeys: ['5Hotkey0001'],
        penalizedHotkeys: [{ hotkey: '5Hotkey0002' }],
        statsAllocated: {},
      }),
    };
    // Act
    const out = await build(chain, t, { ...OPTIONS, mode: 'burn' }, external)({}, lambdaContext);
    const stats = await new StatsStore(c.doc, t.stats).readAll();
    // Assess
    expect(out.status).toBe('submitted');
    expect(chain.submissions[0]).toMatchObject({ uids: [3], weights: [65_535] });
    expect(stats['1']?.allocated).toBe(true);
  });
});
