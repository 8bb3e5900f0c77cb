import type { KeyringPair } from '@polkadot/keyring/types';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildWeightsHandler } from '../../../functions/weights/handler.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { createOwnRunPublisher } from '../../../lib/pipeline/publish-run.js';
import type { Metagraph } from '../../../lib/ports.js';
import {
  AuditStore,
  CoordinationStore,
  MinerStore,
  PogResultStore,
  StatsStore,
  type TableNames,
  WandbRunStore,
} from '../../../lib/store/index.js';
import { createWandbState, parseWandbConfig } from '../../../lib/wandb/index.js';
import { startWandbServer, type WandbServer } from '../../helpers/wandb-server.js';
import { makeKeys, recorders, statEntry, validatorConfig } from '../wandb/fixtures.js';
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

const API_KEY = 'weights-wandb-test-key';
const OPTIONS = WEIGHTS_OPTIONS;
const H100 = 'NVIDIA H100 80GB HBM3';
const A100 = 'NVIDIA A100 80GB PCIe';

describe('Weight handler with W&B state, on moto and the local W&B server', () => {
  const endpoint = inject('motoEndpoint');
  const c = clients(endpoint);
  const { logger, metrics } = quietObservability();
  let ours: KeyringPair;
  let other: KeyringPair;
  let trusted: KeyringPair;
  let server: WandbServer;
  let tick = 0;
  const clock = () => new Date(Date.UTC(2026, 10, 25, 11, 0, tick++));

  // uid 0 us, uid 1 another validator, uid 2 the trusted penalty publisher (no permit needed),
  // uids 3-6 miners (5Hotkey0003…); validators have no axon, so they are not queryable
  const chainAt = (block: number): Metagraph =>
    metagraph(7, block, (uid) => {
      if (uid === 0) return { hotkey: ours.address, stake: 20_000, axon: null };
      if (uid === 1) return { hotkey: other.address, stake: 15_000, axon: null };
      if (uid === 2) return { hotkey: trusted.address, stake: 5, axon: null };
      return {};
    });

  /** Fresh tables with local PoG rows for uids 3 (A100) and 5 (H100 x8), uid 3 allocated by us. */
  async function prepareTables(name: string): Promise<TableNames> {
    const t = await makeTables(c.ddb, uniquePrefix(name));
    const pog = new PogResultStore(c.doc, t.pogResults, { now: clock });
    const done = { roundId: 'r1', attempts: 1, durationMs: 1 };
    await pog.record({ hotkey: '5Hotkey0003', uid: 3, gpuName: A100, numGpus: 1, ...done });
    await pog.record({ hotkey: '5Hotkey0005', uid: 5, gpuName: H100, numGpus: 8, ...done });
    const miners = new MinerStore(c.doc, t.miners);
    await miners.putHotkeys(chainAt(1).neurons.map((n) => ({ uid: n.uid, hotkey: n.hotkey })));
    await miners.setAllocated(3, true);
    return t;
  }

  /** The Lambda's wiring (functions/weights/index.ts) with the test's endpoints: one "container". */
  function container(t: TableNames, chain: StubChain, wandbOverrides: Record<string, unknown> = {}) {
    const rec = recorders();
    const wandb = createWandbState({
      config: parseWandbConfig({
        enabled: true,
        baseUrl: server.url,
        allowInsecureHttp: true,
        trustedPenaltyValidators: [trusted.address],
        timeoutMs: 2_000,
        readDeadlineMs: 5_000,
        ...wandbOverrides,
      }),
      apiKey: API_KEY,
      logger: rec.logger,
      metrics: rec.metricsSink,
    });
    const publisher = createOwnRunPublisher({
      wandb,
      signer: ours,
      miners: new MinerStore(c.doc, t.miners),
      runIds: new WandbRunStore(c.doc, t.coordination),
    });
    const handler = buildWeightsHandler({
      getDeps: async () => ({
        chain,
        pogResults: new PogResultStore(c.doc, t.pogResults, { now: clock }),
        stats: new StatsStore(c.doc, t.stats),
        coordination: new CoordinationStore(c.doc, t.coordination),
        audit: new AuditStore(c.doc, t.audit),
        performance: DEFAULT_PERFORMANCE_CONFIG,
        external: wandb,
        publisher,
      }),
      options: { ...OPTIONS, validatorHotkey: ours.address },
      logger,
      metrics,
    });
    return { handler, rec };
  }

  beforeAll(async () => {
    [ours, other, trusted] = (await makeKeys('WeightsOurs', 'WeightsOther', 'WeightsTrusted')) as [
      KeyringPair,
      KeyringPair,
      KeyringPair,
    ];
    server = await startWandbServer({ apiKey: API_KEY });
    // the other validator allocated uid 4 and vouches for its H100 x8 at 66; the trusted one penalises uid 5
    server.addRun({
      name: 'other001',
      config: validatorConfig({
        pair: other,
        runId: 'other001',
        allocated: ['5Hotkey0004'],
        stats: { '4': statEntry(4, '5Hotkey0004', H100, 8, 66) },
      }),
    });
    server.addRun({
      name: 'trust001',
      config: validatorConfig({ pair: trusted, runId: 'trust001', penalties: ['5Hotkey0005'] }),
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('scores with consensus stats and penalties, publishes our signed run and reuses it after a cold start', async () => {
    // Prepare
    const t = await prepareTables('weights-wandb');
    const chain = new StubChain(chainAt(6_000));
    const first = container(t, chain);
    // Act
    const summary = await first.handler({}, lambdaContext);
    const stats = await new StatsStore(c.doc, t.stats).readAll();
    const sent = chain.submissions[0];
    const weightOf = (uid: number) => sent?.weights[sent.uids.indexOf(uid)] ?? 0;
    const ourRuns = () => server.runs.filter((r) => r.displayName === `validator-${ours.address}`);
    const published = ourRuns()[0];
    const runId = await new WandbRunStore(c.doc, t.coordination).get(27, ours.address);
    // a reader on a fresh service sees our run, signature verified
    const readBack = await createWandbState({
      config: parseWandbConfig({
        baseUrl: server.url,
        allowInsecureHttp: true,
        trustedPenaltyValidators: [trusted.address],
      }),
      apiKey: API_KEY,
    }).read(chainAt(6_000));
    // Assess
    expect(summary).toMatchObject({ status: 'submitted', wandb: { read: 'complete', publish: 'published' } });
    // uid 4: no local PoG, the other validator's consensus entry (D1: 66 → 0.66)
    expect(stats['4']).toMatchObject({
      own_score: false,
      score: 66,
      gpu_specs: { gpu_name: H100, num_gpus: 8 },
    });
    expect(stats['4']?.allocated).toBe(true);
    // uid 5: a local H100 x8 result, but penalised by the trusted validator
    expect(stats['5']).toMatchObject({ own_score: true, score: 0, gpu_specs: { gpu_name: H100 } });
    expect(stats['3']).toMatchObject({ own_score: true, gpu_specs: { gpu_name: A100 } });
    expect(weightOf(4)).toBeGreaterThan(weightOf(3));
    expect(weightOf(3)).toBeGreaterThan(0);
    expect(weightOf(5)).toBe(0);
    expect(ourRuns()).toHaveLength(1);
    expect(published?.name).toBe(runId);
    expect(published?.config).toMatchObject({
      hotkey: ours.address,
      role: 'validator',
      config: { netuid: 27 },
      allocated_hotkeys: ['5Hotkey0003'],
    });
    // allocated is ours only: uid 4 is the other validator's allocation, uid 3 ours
    const publishedStats = published?.config.stats as Record<string, Record<string, unknown>>;
    expect(publishedStats['3']).toMatchObject({ allocated: true, own_score: true });
    expect(publishedStats['4']).toMatchObject({ allocated: false, own_score: false, score: 66 });
    expect(readBack.meta).toMatchObject({ status: 'complete', runsAccepted: 3, runsRejected: 0 });
    expect([...readBack.allocatedHotkeys].sort()).toEqual(['5Hotkey0003', '5Hotkey0004']);
    expect(readBack.statsAllocated['3']).toMatchObject({
      hotkey: '5Hotkey0003',
      gpu_specs: { gpu_name: A100 },
    });

    // Act: a cold start (new service, no in-memory run id) at a later block
    const lookupsBefore = server.requests.filter((r) =>
      String(r.variables.filters).includes('display_name'),
    ).length;
    chain.metagraphValue = chainAt(6_200);
    const again = await container(t, chain).handler({}, lambdaContext);
    const lookupsAfter = server.requests.filter((r) =>
      String(r.variables.filters).includes('display_name'),
    ).length;
    // Assess: same run, updated in place, found through the table rather than a W&B lookup
    expect(again).toMatchObject({ status: 'submitted', wandb: { read: 'complete', publish: 'published' } });
    expect(chain.submissions).toHaveLength(2);
    expect(ourRuns()).toHaveLength(1);
    expect(lookupsBefore).toBe(1);
    expect(lookupsAfter).toBe(lookupsBefore);
  });

  it('submits on local data when W&B is down, with a log line and metrics for the read and the publish', async () => {
    // Prepare
    const t = await prepareTables('weights-wandb-down');
    const chain = new StubChain(chainAt(7_000));
    const { handler, rec } = container(t, chain);
    server.fault = () => ({ kind: 'status', status: 503 });
    // Act
    let summary: Awaited<ReturnType<typeof handler>>;
    try {
      summary = await handler({}, lambdaContext);
    } finally {
      server.fault = undefined;
    }
    const stats = await new StatsStore(c.doc, t.stats).readAll();
    const sent = chain.submissions[0];
    // Assess
    expect(summary).toMatchObject({ status: 'submitted', wandb: { read: 'unavailable', publish: 'failed' } });
    // no consensus: uid 4 has nothing; no penalties: uid 5's local H100 x8 counts
    expect(stats['4']).toMatchObject({ score: 0, own_score: true, gpu_specs: null });
    expect(stats['5']?.score).toBeGreaterThan(0);
    expect(sent?.uids).toEqual(expect.arrayContaining([3, 5]));
    expect(sent?.uids).not.toContain(4);
    expect(rec.metrics.map((m) => m.name)).toEqual(
      expect.arrayContaining(['WandbReadFailed', 'WandbPublishFailed']),
    );
    expect(rec.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/scoring continues on local data/),
        'wandb publish failed',
      ]),
    );
    expect(await new WandbRunStore(c.doc, t.coordination).get(27, ours.address)).toBeUndefined();
  });
});
