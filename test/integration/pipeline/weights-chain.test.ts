import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiPromise } from '@polkadot/api';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildWeightsHandler } from '../../../functions/weights/handler.js';
import {
  type Devnet,
  newBlocks,
  readLastUpdate,
  readWeights,
  type SeedNeuron,
  setDevnetStorage,
  toAddress,
} from '../../../harness/chain/devnet.js';
import {
  chainMaxUpscale,
  createChainHolder,
  DrandTimelock,
  type SubtensorChain,
} from '../../../lib/chain/index.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { runSync } from '../../../lib/pipeline/sync.js';
import type { WeightsOptions } from '../../../lib/pipeline/weights.js';
import {
  AuditStore,
  CommitRowStore,
  CoordinationStore,
  MinerStore,
  PogResultStore,
  StatsStore,
  type TableNames,
} from '../../../lib/store/index.js';
import {
  devnetPorts,
  startSeededDevnet,
  subnetItems,
  TestBeacon,
  untilFirstReveal,
} from '../chain/fixtures.js';
import { startTcpProxy } from '../chain/tcp-proxy.js';
import {
  clients,
  lambdaContext,
  makeQueues,
  makeTables,
  QUERYABLE_OPTIONS,
  SYNC_OPTIONS,
  uniquePrefix,
} from './fixtures.js';
import { quietObservability } from './helpers.js';

// The weight tick against the real spec-293 runtime (chopsticks) and real DynamoDB (moto): what the
// chain itself accepts, rejects and reveals, not what a stub says it would.
const NETUID = 1;
const OWNER = '//Ferdie';
const NEURONS: SeedNeuron[] = [
  { hotkeyUri: '//Alice', stake: 1000, validatorPermit: true },
  { hotkeyUri: '//Bob', stake: 5, axon: { ip: '10.0.0.2', port: 8091, version: 190 } },
  { hotkeyUri: '//Charlie', stake: 3, axon: { ip: '10.0.0.3', port: 8091, version: 190 } },
  { hotkeyUri: OWNER, stake: 1 },
];
// the seeded axons are on 10.0.0.0/8: allowed here, so that Bob's PoG result gives a non-zero score
const OPTIONS: WeightsOptions = {
  netuid: NETUID,
  mode: 'scores',
  lockSeconds: 60,
  ...QUERYABLE_OPTIONS,
  allowPrivateAddresses: true,
};

describe('weight tick on the spec-293 runtime and moto', () => {
  const c = clients(inject('motoEndpoint'));
  const { logger, metrics } = quietObservability();
  let devnet: Devnet;
  let admin: ApiPromise;
  let tables: TableNames;
  const ports = devnetPorts(() => devnet.endpoint);
  const { port } = ports;

  /** Fresh tables where Bob (uid 1) has a local H100 x8 result: a scores tick has something to set. */
  const scoredTables = async (): Promise<TableNames> => {
    const t = await makeTables(c.ddb, uniquePrefix('weights-chain'));
    const h100x8 = {
      gpuName: 'NVIDIA H100 80GB HBM3',
      numGpus: 8,
      roundId: 'r1',
      attempts: 1,
      durationMs: 1,
    };
    await new PogResultStore(c.doc, t.pogResults).record({ hotkey: toAddress('//Bob'), uid: 1, ...h100x8 });
    return t;
  };

  const tick = (chain: SubtensorChain, options: WeightsOptions = OPTIONS) =>
    invoke(async () => chain, options);

  /** One weight tick, wired as the entry does: `chain` is asked for a port at every tick. */
  const invoke = (chain: () => Promise<SubtensorChain>, options: WeightsOptions = OPTIONS) =>
    buildWeightsHandler({
      getDeps: async () => ({
        chain: await chain(),
        pogResults: new PogResultStore(c.doc, tables.pogResults),
        stats: new StatsStore(c.doc, tables.stats),
        coordination: new CoordinationStore(c.doc, tables.coordination),
        audit: new AuditStore(c.doc, tables.audit),
        performance: DEFAULT_PERFORMANCE_CONFIG,
      }),
      options,
      logger,
      metrics,
    })({}, lambdaContext);

  beforeAll(async () => {
    tables = await scoredTables();
    ({ devnet, admin } = await startSeededDevnet({
      netuid: NETUID,
      neurons: NEURONS,
      ownerHotkey: OWNER,
    }));
  });

  afterEach(async () => {
    tables = await scoredTables();
    await setDevnetStorage(admin, [
      ...subnetItems(NETUID, {
        LastUpdate: NEURONS.map(() => 0),
        ValidatorPermit: NEURONS.map((n) => n.validatorPermit ?? false),
      }),
      { item: 'Weights', args: [NETUID, 0], value: [] },
    ]);
  });

  afterAll(async () => {
    await ports.closeAll();
    await admin?.disconnect();
    await devnet?.stop();
  });

  it("turns the chain's own SettingWeightsTooFast into a rate-limited tick, not a failure", async () => {
    // Prepare: a set lands whose confirmation we never recorded; our pre-check is off so the chain decides
    const first = await port('//Alice');
    await first.submitWeights({ netuid: NETUID, uids: [1], weights: [1] });
    const landed = (await readLastUpdate(admin, NETUID))[0] as number;
    const blind = await port('//Alice', { preflight: false });

    // Act
    const summary = await tick(blind);

    // Assess
    expect(summary).toMatchObject({ status: 'rate-limited', nextAllowedBlock: landed + 6 });
    expect(await new AuditStore(c.doc, tables.audit).latest(NETUID)).toBeNull();
    expect(await readWeights(admin, NETUID, 0)).toEqual({ uids: [1], weights: [65535] });
  });

  it('burn mode with MinAllowedWeights 3: the vector is padded as process_weights does and the chain takes it', async () => {
    // Prepare
    await setDevnetStorage(admin, subnetItems(NETUID, { MinAllowedWeights: 3 }));
    const chain = await port('//Alice');
    try {
      // Act
      const summary = await tick(chain, { ...OPTIONS, mode: 'burn' });
      const stored = await readWeights(admin, NETUID, 0);

      // Assess: every uid carries weight, the owner's (uid 3) all but a trace
      expect(summary).toMatchObject({ status: 'submitted', uids: 4 });
      expect(stored.uids).toEqual([0, 1, 2, 3]);
      expect(stored.weights[3]).toBe(65535);
      expect(Math.max(...stored.weights.slice(0, 3))).toBeLessThanOrEqual(2);
      expect(Math.min(...stored.weights)).toBeGreaterThan(0);
    } finally {
      await setDevnetStorage(admin, subnetItems(NETUID, { MinAllowedWeights: 1 }));
    }
  });

  it('scores mode with MinAllowedWeights above the subnet size: the scores survive and the chain takes the vector', async () => {
    // Prepare: 1024 is MinAllowedWeights' storage default; the subnet has 4 uids
    await setDevnetStorage(admin, subnetItems(NETUID, { MinAllowedWeights: 1024 }));
    const chain = await port('//Alice');
    try {
      // Act
      const summary = await tick(chain);
      const stored = await readWeights(admin, NETUID, 0);

      // Assess: min(4, 1024) entries, Bob's (uid 1) all but a trace, not uniform weights
      expect(summary).toMatchObject({ status: 'submitted', uids: 4 });
      expect(stored.uids).toEqual([0, 1, 2, 3]);
      expect(stored.weights[1]).toBe(65535);
      expect(Math.max(...stored.weights.filter((_, i) => i !== 1))).toBeLessThanOrEqual(2);
      expect(Math.min(...stored.weights)).toBeGreaterThan(0);
    } finally {
      await setDevnetStorage(admin, subnetItems(NETUID, { MinAllowedWeights: 1 }));
    }
  });

  it('a chain socket dropped between two ticks of a warm container: the second tick reconnects and submits', async () => {
    // Prepare: the entry's wiring, one holder for the container, behind a relay that can cut the socket
    const proxy = await startTcpProxy(devnet.endpoint);
    const holder = createChainHolder({
      endpoints: [proxy.endpoint],
      hotkeySecret: '//Alice',
      timeoutMs: 5000,
    });
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', record);
    try {
      const first = await invoke(() => holder.connected());
      proxy.dropNow();
      await newBlocks(admin, 6);

      // Act
      const second = await invoke(() => holder.connected());
      await new Promise((done) => setTimeout(done, 200));

      // Assess
      expect(first).toMatchObject({ status: 'submitted' });
      expect(second).toMatchObject({ status: 'submitted' });
      expect(second.block).toBeGreaterThan(first.block ?? 0);
      expect(proxy.drops).toBe(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
      await holder.close();
      await proxy.close();
    }
  });

  it('v2 hash commit: the salt waits in DynamoDB, and a later tick reveals it', async () => {
    // Prepare
    await setDevnetStorage(admin, subnetItems(NETUID, { CommitRevealWeightsEnabled: true, Tempo: 3 }));
    const store = new CommitRowStore(c.doc, tables.commits);
    const chain = await port('//Alice', { timelock: false, commitStore: store });
    try {
      // Act
      const committed = await tick(chain);
      const pending = await store.list(NETUID, toAddress('//Alice'));
      const queue = await untilFirstReveal(admin, chain, NETUID, '//Alice');
      const revealing = await tick(chain);

      // Assess
      expect(committed).toMatchObject({ status: 'submitted' });
      expect(pending).toHaveLength(1);
      expect(pending[0]?.commitHash).toBe(queue?.[0]?.[0]);
      expect(revealing.reveals).toMatchObject({ revealedV2: 1 });
      expect(await store.list(NETUID, toAddress('//Alice'))).toEqual([]);
      const stored = await readWeights(admin, NETUID, 0);
      expect(stored.uids).toEqual(pending[0]?.uids);
      expect(stored.weights).toEqual(chainMaxUpscale(pending[0]?.weights ?? []));
    } finally {
      await setDevnetStorage(admin, subnetItems(NETUID, { CommitRevealWeightsEnabled: false, Tempo: 360 }));
    }
  });

  it('timelocked commit: the next tick confirms the chain revealed it and records revealed in the audit row', async () => {
    // Prepare: a test beacon key; the runtime reads the pulse we write and decrypts our ciphertext itself
    const beacon = new TestBeacon(0x13579bdfn);
    await setDevnetStorage(
      admin,
      subnetItems(NETUID, { CommitRevealWeightsEnabled: true, Tempo: 3, RevealPeriodEpochs: 2 }),
    );
    const chain = await port('//Alice', { timelock: new DrandTimelock({ publicKey: beacon.publicKey }) });
    const audit = new AuditStore(c.doc, tables.audit);
    try {
      // Act
      const committed = await tick(chain);
      const row = await audit.latest(NETUID);
      await beacon.writePulse(admin, row?.revealRound ?? 0, `0x${'02'.repeat(32)}`);
      const head = await chain.currentBlock();
      await newBlocks(admin, Math.max(1, (row?.revealFirstBlock ?? head) - head + 1));
      const confirming = await tick(chain);
      const after = await audit.unconfirmedCommits(NETUID);
      const confirmedRow = (
        await c.doc.send(new GetCommand({ TableName: tables.audit, Key: { netuid: NETUID, sk: row?.sk } }))
      ).Item;

      // Assess
      expect(committed).toMatchObject({ status: 'submitted' });
      expect(row?.kind).toBe('timelocked-commit');
      expect(row?.revealed).toBeUndefined();
      expect(confirming.reveals).toMatchObject({ confirmed: 1, neverRevealed: 0 });
      // the confirming tick committed again; only that new commit waits for its reveal
      expect(after.map((r) => r.sk)).not.toContain(row?.sk);
      expect(confirmedRow).toMatchObject({ revealed: true });
      expect((await readWeights(admin, NETUID, 0)).uids).toEqual(row?.uids);
    } finally {
      await setDevnetStorage(
        admin,
        subnetItems(NETUID, { CommitRevealWeightsEnabled: false, Tempo: 360, RevealPeriodEpochs: 1 }),
      );
    }
  });

  it('an unregistered validator hotkey: the weight tick and the sync name it once and send nothing', async () => {
    // Prepare
    const dave = await port('//Dave');
    const readOnly = await ports.readOnlyPort('//Dave');
    const { queueUrl } = await makeQueues(c.sqs, uniquePrefix('weights-chain-q'));

    // Act
    const weights = await tick(dave);
    const sync = await runSync(
      {
        chain: readOnly,
        sqs: c.sqs,
        queueUrl,
        miners: new MinerStore(c.doc, tables.miners),
        pogResults: new PogResultStore(c.doc, tables.pogResults),
        stats: new StatsStore(c.doc, tables.stats),
        coordination: new CoordinationStore(c.doc, tables.coordination),
      },
      { ...SYNC_OPTIONS, netuid: NETUID },
    );
    const attrs = await c.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );

    // Assess
    expect(weights).toEqual({ status: 'blocked', problems: ['not-registered'] });
    expect(sync.round).toEqual({ status: 'blocked', problems: ['not-registered'] });
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });
});
