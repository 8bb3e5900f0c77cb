import type { ApiPromise } from '@polkadot/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
  ChainConnectionError,
  ChainTimeoutError,
  chainMaxUpscale,
  createChainPort,
  DispatchError,
  DrandTimelock,
  InMemoryCommitStore,
  InsufficientStakeError,
  InvalidWeightsError,
  NotRegisteredError,
  NoValidatorPermitError,
  PoolRejectedError,
  QUICKNET,
  RateLimitedError,
  SubmissionInProgressError,
  UnsupportedRuntimeError,
  WeightLimitsError,
} from '../../../lib/chain/index.js';
import { devnetPorts, startSeededDevnet, subnetItems, TestBeacon, untilFirstReveal } from './fixtures.js';
import { startTcpProxy } from './tcp-proxy.js';

// One chopsticks boot for the whole file (≈6 s, 270 MB): tests reset LastUpdate instead of rebooting.
const NETUID = 1;
const N = 16;
const OWNER = '//Ferdie';

let devnet: Devnet;
let admin: ApiPromise;
const ports = devnetPorts(() => devnet.endpoint);
const { port } = ports;

function neurons(): SeedNeuron[] {
  const list: SeedNeuron[] = [
    {
      hotkeyUri: '//Alice',
      stake: 1000,
      validatorPermit: true,
      axon: { ip: '10.0.0.1', port: 8091, version: 190 },
    },
    { hotkeyUri: '//Bob', stake: 5 },
    { hotkeyUri: '//Charlie', stake: 0, validatorPermit: true },
  ];
  for (let uid = 3; uid < N - 1; uid++) {
    list.push({
      hotkeyUri: `//Miner${uid}`,
      coldkey: '//Eve',
      stake: uid,
      axon: { ip: `10.0.1.${uid}`, port: 4000 + uid, version: 185 },
    });
  }
  list.push({ hotkeyUri: OWNER, stake: 1 });
  return list;
}

/** Counts `set_weights` extrinsics signed by `signer` in the blocks after `fromBlock`. */
async function countSetWeights(signer: string, fromBlock: number): Promise<number> {
  const head = (await admin.rpc.chain.getHeader()).number.toNumber();
  let count = 0;
  for (let b = fromBlock + 1; b <= head; b++) {
    const block = await admin.rpc.chain.getBlock(await admin.rpc.chain.getBlockHash(b));
    for (const ex of block.block.extrinsics) {
      if (ex.isSigned && ex.signer.toString() === signer && ex.method.method === 'setWeights') count += 1;
    }
  }
  return count;
}

async function resetLastUpdate(): Promise<void> {
  // permits too: the short-tempo tests let the chain's epoch re-rank them
  await setDevnetStorage(
    admin,
    subnetItems(NETUID, {
      LastUpdate: Array(N).fill(0),
      ValidatorPermit: neurons().map((n) => n.validatorPermit ?? false),
    }),
  );
}

beforeAll(async () => {
  ({ devnet, admin } = await startSeededDevnet({
    netuid: NETUID,
    neurons: neurons(),
    ownerHotkey: OWNER,
  }));
});

afterEach(async () => {
  await resetLastUpdate();
});

afterAll(async () => {
  await ports.closeAll();
  await admin?.disconnect();
  await devnet?.stop();
});

describe('chain port on the spec-293 runtime (chopsticks)', () => {
  it('decodes the metagraph of a seeded 16-uid subnet, through the runtime API and storage alike', async () => {
    // Prepare
    const chain = await port('//Alice');

    // Act
    const viaApi = await chain.metagraph(NETUID);
    const viaStorage = await chain.metagraph(NETUID, 'storage');

    // Assess
    expect(viaApi.neurons).toHaveLength(N);
    expect(viaApi.block).toBeGreaterThanOrEqual(0);
    const alice = viaApi.neurons[0];
    expect(alice).toMatchObject({
      uid: 0,
      hotkey: toAddress('//Alice'),
      coldkey: toAddress('//Alice'),
      axon: { ip: '10.0.0.1', port: 8091, version: 190 },
      stake: 1000,
      validatorPermit: true,
      active: true,
      lastUpdate: 0,
    });
    expect(viaApi.neurons[1]?.axon).toBeNull();
    expect(viaApi.neurons[7]).toMatchObject({
      uid: 7,
      coldkey: toAddress('//Eve'),
      axon: { ip: '10.0.1.7', port: 4007 },
      stake: 7,
    });
    expect(viaApi.neurons.map((n) => n.uid)).toEqual([...Array(N).keys()]);
    expect(viaStorage.neurons).toEqual(viaApi.neurons);
  });

  it('reads hyperparameters and the burn uid (owner hotkey → uid)', async () => {
    // Prepare
    const chain = await port('//Alice');

    // Act
    const hp = await chain.hyperparams(NETUID);
    const burn = await chain.burnUid(NETUID);
    const status = await chain.validatorStatus(NETUID);

    // Assess
    expect(hp).toMatchObject({
      tempo: 360,
      weightsRateLimit: 5,
      weightsVersionKey: 7,
      minAllowedWeights: 1,
      maxWeightsLimit: 65535,
      commitRevealEnabled: false,
      revealPeriodEpochs: 1,
    });
    expect(burn).toBe(N - 1);
    expect(status).toMatchObject({ uid: 0, validatorPermit: true, stake: 1000, isOwner: false });
  });

  it('submits set_weights, waits for inclusion and the chain stores the max-upscaled vector', async () => {
    // Prepare
    const chain = await port('//Alice');
    const before = await chain.currentBlock();

    // Act
    const receipt = await chain.submitWeights({ netuid: NETUID, uids: [1, 2, 3], weights: [0, 100, 300] });

    // Assess
    expect(receipt).toMatchObject({ kind: 'set', call: 'set_weights', versionKey: 7, uids: [1, 2, 3] });
    expect(receipt.blockNumber).toBeGreaterThan(before);
    expect(receipt.blockHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(receipt.extrinsicHash).toMatch(/^0x[0-9a-f]{64}$/);
    const stored = await readWeights(admin, NETUID, 0);
    expect(stored).toEqual({ uids: [1, 2, 3], weights: [0, 21845, 65535] });
    expect(stored.weights).toEqual(chainMaxUpscale([0, 100, 300]));
    expect((await readLastUpdate(admin, NETUID))[0]).toBe(receipt.blockNumber);
  });

  it('refuses a second set inside the rate limit before signing, and the chain agrees', async () => {
    // Prepare
    const chain = await port('//Alice');
    const blind = await port('//Alice', { preflight: false });
    await chain.submitWeights({ netuid: NETUID, uids: [1, 2], weights: [1, 2] });

    // Act
    const pre = await chain
      .submitWeights({ netuid: NETUID, uids: [1, 2], weights: [1, 2] })
      .catch((e: unknown) => e);
    const onChain = await blind
      .submitWeights({ netuid: NETUID, uids: [1, 2], weights: [1, 2] })
      .catch((e: unknown) => e);

    // Assess: ours says preflight; the chain's own SettingWeightsTooFast is the same rate-limited outcome
    expect(pre).toBeInstanceOf(RateLimitedError);
    expect(pre).toMatchObject({ source: 'preflight' });
    expect(onChain).toBeInstanceOf(RateLimitedError);
    expect(onChain).toMatchObject({ source: 'chain' });
    expect((onChain as Error).cause).toMatchObject({ errorName: 'SettingWeightsTooFast' });
    expect((onChain as RateLimitedError).nextAllowedBlock).toBe(
      ((await readLastUpdate(admin, NETUID))[0] as number) + 6,
    );
    expect(await readWeights(admin, NETUID, 0)).toEqual({ uids: [1, 2], weights: [32768, 65535] });
  });

  it('decodes a version key below the chain’s as IncorrectWeightVersionKey', async () => {
    // Prepare
    const chain = await port('//Alice', { versionKey: 6 });

    // Act
    const result = await chain
      .submitWeights({ netuid: NETUID, uids: [1], weights: [1] })
      .catch((e: unknown) => e);

    // Assess
    expect(result).toBeInstanceOf(DispatchError);
    expect(result).toMatchObject({ pallet: 'subtensorModule', errorName: 'IncorrectWeightVersionKey' });
  });

  it('refuses a validator without permit, lets it self-weight, and the chain agrees on both', async () => {
    // Prepare
    const bob = await port('//Bob');
    const blindBob = await port('//Bob', { preflight: false });

    // Act
    const pre = await bob
      .submitWeights({ netuid: NETUID, uids: [0, 2], weights: [1, 1] })
      .catch((e: unknown) => e);
    const onChain = await blindBob
      .submitWeights({ netuid: NETUID, uids: [0, 2], weights: [1, 1] })
      .catch((e: unknown) => e);

    // Assess
    expect(pre).toBeInstanceOf(NoValidatorPermitError);
    expect(onChain).toMatchObject({ errorName: 'NeuronNoValidatorPermit' });
    const self = await bob.submitWeights({ netuid: NETUID, uids: [1], weights: [5] });
    expect(self.kind).toBe('set');
    expect(await readWeights(admin, NETUID, 1)).toEqual({ uids: [1], weights: [65535] });
  });

  it('refuses an unregistered hotkey, and the chain says HotKeyNotRegisteredInSubNet', async () => {
    // Prepare
    const dave = await port('//Dave');
    const blindDave = await port('//Dave', { preflight: false });

    // Act
    const pre = await dave
      .submitWeights({ netuid: NETUID, uids: [1], weights: [1] })
      .catch((e: unknown) => e);
    const onChain = await blindDave
      .submitWeights({ netuid: NETUID, uids: [1], weights: [1] })
      .catch((e: unknown) => e);

    // Assess
    expect(pre).toBeInstanceOf(NotRegisteredError);
    expect(onChain).toMatchObject({ errorName: 'HotKeyNotRegisteredInSubNet' });
  });

  it('refuses duplicate and out-of-range uids, and the chain names both', async () => {
    // Prepare
    const chain = await port('//Alice');
    const blind = await port('//Alice', { preflight: false });

    // Act
    const dup = await chain
      .submitWeights({ netuid: NETUID, uids: [1, 1], weights: [1, 2] })
      .catch((e: unknown) => e);
    const range = await chain
      .submitWeights({ netuid: NETUID, uids: [1, 99], weights: [1, 2] })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(InvalidWeightsError);
    expect(range).toBeInstanceOf(InvalidWeightsError);
    const dupOnChain = await blind
      .submitWeights({ netuid: NETUID, uids: [1, 1], weights: [1, 2] })
      .catch((e: unknown) => e);
    expect(dupOnChain).toMatchObject({ errorName: 'DuplicateUids' });
    const rangeOnChain = await blind
      .submitWeights({ netuid: NETUID, uids: [1, 15, 16], weights: [1, 2, 3] })
      .catch((e: unknown) => e);

    // Assess
    expect(rangeOnChain).toMatchObject({ errorName: 'UidVecContainInvalidOne' });
  });

  it('refuses low stake before signing, and the pool rejects it as 1010 Custom(1)', async () => {
    // Prepare
    await setDevnetStorage(admin, [{ item: 'StakeThreshold', args: [], value: 1_000_000_000n }]);
    const charlie = await port('//Charlie');
    const blindCharlie = await port('//Charlie', { preflight: false });

    try {
      // Act
      const pre = await charlie
        .submitWeights({ netuid: NETUID, uids: [0, 1], weights: [1, 1] })
        .catch((e: unknown) => e);
      const onChain = await blindCharlie
        .submitWeights({ netuid: NETUID, uids: [0, 1], weights: [1, 1] })
        .catch((e: unknown) => e);

      // Assess
      expect(pre).toBeInstanceOf(InsufficientStakeError);
      expect(onChain).toBeInstanceOf(PoolRejectedError);
      expect(onChain).toMatchObject({ customCode: 1, reason: 'NotEnoughStakeToSetWeights' });
    } finally {
      await setDevnetStorage(admin, [{ item: 'StakeThreshold', args: [], value: 0n }]);
    }
  });

  it('keeps one submission in flight per hotkey', async () => {
    // Prepare
    const a = await port('//Alice');
    const b = await port('//Alice');

    // Act
    const first = a.submitWeights({ netuid: NETUID, uids: [4], weights: [9] });
    const second = b.submitWeights({ netuid: NETUID, uids: [5], weights: [9] });

    // Assess
    await expect(second).rejects.toBeInstanceOf(SubmissionInProgressError);
    await expect(first).resolves.toMatchObject({ kind: 'set' });
    expect(await readWeights(admin, NETUID, 0)).toEqual({ uids: [4], weights: [65535] });
  });

  it('commit-reveal on: commits a v2 hash, keeps it until the window opens, then reveals it', async () => {
    // Prepare
    await setDevnetStorage(admin, [
      ...subnetItems(NETUID, { CommitRevealWeightsEnabled: true, Tempo: 3 }),
      { item: 'Weights', args: [NETUID, 0], value: [] },
    ]);
    const store = new InMemoryCommitStore();
    const chain = await port('//Alice', { commitStore: store, timelock: false });
    try {
      // Act
      const commit = await chain.submitWeights({ netuid: NETUID, uids: [2, 3], weights: [1000, 2000] });
      const pending = await store.list(NETUID, toAddress('//Alice'));
      const early = await chain.revealPending(NETUID);
      const queue = await untilFirstReveal(admin, chain, NETUID, '//Alice');
      const reveals = await chain.revealPending(NETUID);

      // Assess
      expect(commit).toMatchObject({ kind: 'commit', call: 'commit_weights' });
      expect(pending).toHaveLength(1);
      expect(queue?.[0]?.[0]).toBe(pending[0]?.commitHash);
      expect(early).toEqual([]);
      expect(reveals).toHaveLength(1);
      expect(reveals[0]).toMatchObject({ kind: 'reveal', call: 'reveal_weights', uids: [2, 3] });
      expect(await store.list(NETUID, toAddress('//Alice'))).toEqual([]);
      expect(await readWeights(admin, NETUID, 0)).toEqual({ uids: [2, 3], weights: [32768, 65535] });
    } finally {
      await setDevnetStorage(admin, subnetItems(NETUID, { CommitRevealWeightsEnabled: false, Tempo: 360 }));
    }
  });

  it('timelocked commit: the runtime itself decrypts our ciphertext at the reveal epoch and sets the weights', async () => {
    // Prepare: a test beacon key (the runtime reads the pulse, it does not re-verify it at reveal)
    const beacon = new TestBeacon(0x1234567890abcdefn);
    await setDevnetStorage(admin, [
      ...subnetItems(NETUID, { CommitRevealWeightsEnabled: true, Tempo: 3, RevealPeriodEpochs: 2 }),
      { item: 'Weights', args: [NETUID, 0], value: [] },
    ]);
    const chain = await port('//Alice', { timelock: new DrandTimelock({ publicKey: beacon.publicKey }) });
    try {
      // Act
      const receipt = await chain.submitWeights({ netuid: NETUID, uids: [8, 9], weights: [100, 400] });
      const round = receipt.revealRound ?? 0;
      await beacon.writePulse(admin, round, `0x${'01'.repeat(32)}`);
      let stored = await readWeights(admin, NETUID, 0);
      for (let i = 0; i < 10 && stored.uids.length === 0; i++) {
        await newBlocks(admin, 1);
        stored = await readWeights(admin, NETUID, 0);
      }

      const window = receipt.revealWindow;
      const ref = {
        commitEpoch: window?.commitEpoch ?? -1,
        firstBlock: window?.firstBlock ?? 0,
        lastBlock: window?.lastBlock ?? 0,
        lastCommitBlock: receipt.blockNumber,
        count: 1,
      };
      const outcome = await chain.revealOutcome(NETUID, ref);

      // Assess
      expect(receipt).toMatchObject({ kind: 'timelocked-commit', call: 'commit_crv3_weights', uids: [8, 9] });
      expect(round).toBeGreaterThan(0);
      expect(stored).toEqual({ uids: [8, 9], weights: chainMaxUpscale([100, 400]) });
      // the grid of the runtime in use: tempo 3 → epochs of 4 blocks, revealed two epochs on
      expect(window?.commitEpoch).toBe(Math.floor((receipt.blockNumber + NETUID + 1) / 4));
      expect(window?.firstBlock).toBe((ref.commitEpoch + 2) * 4 - (NETUID + 1) - 1);
      expect(outcome).toEqual({ status: 'done', revealed: 1 });
    } finally {
      await setDevnetStorage(
        admin,
        subnetItems(NETUID, { CommitRevealWeightsEnabled: false, Tempo: 360, RevealPeriodEpochs: 1 }),
      );
    }
  });

  it('timelocked commit whose pulse never comes: pending inside its reveal epoch, then counted as never revealed', async () => {
    // Prepare
    const beacon = new TestBeacon(0x2468ace0n);
    await setDevnetStorage(admin, [
      ...subnetItems(NETUID, { CommitRevealWeightsEnabled: true, Tempo: 3 }),
      { item: 'Weights', args: [NETUID, 0], value: [] },
    ]);
    const chain = await port('//Alice', { timelock: new DrandTimelock({ publicKey: beacon.publicKey }) });
    try {
      // Act
      const receipt = await chain.submitWeights({ netuid: NETUID, uids: [10, 11], weights: [1, 2] });
      const w = receipt.revealWindow;
      const ref = {
        commitEpoch: w?.commitEpoch ?? -1,
        firstBlock: w?.firstBlock ?? 0,
        lastBlock: w?.lastBlock ?? 0,
        lastCommitBlock: receipt.blockNumber,
        count: 1,
      };
      const early = await chain.revealOutcome(NETUID, ref);
      const head = await chain.currentBlock();
      await newBlocks(admin, ref.lastBlock + 1 - head);
      const late = await chain.revealOutcome(NETUID, ref);

      // Assess
      expect(early).toEqual({ status: 'pending' });
      expect(late).toEqual({ status: 'done', revealed: 0 });
      expect(await readWeights(admin, NETUID, 0)).toEqual({ uids: [], weights: [] });
    } finally {
      await setDevnetStorage(admin, subnetItems(NETUID, { CommitRevealWeightsEnabled: false, Tempo: 360 }));
    }
  });

  it('commit-reveal on, no option given: seals the vector to a future drand quicknet round', async () => {
    // Prepare
    await setDevnetStorage(admin, subnetItems(NETUID, { CommitRevealWeightsEnabled: true }));
    const chain = await port('//Alice');
    const nowRound = Math.floor((Date.now() / 1000 - QUICKNET.genesisTime) / QUICKNET.periodSeconds);
    try {
      // Act
      const receipt = await chain.submitWeights({ netuid: NETUID, uids: [1], weights: [1] });

      // Assess: tempo 360 × 12 s ahead at most two epochs, in 3 s rounds
      expect(receipt).toMatchObject({ kind: 'timelocked-commit', call: 'commit_crv3_weights' });
      expect(receipt.revealRound).toBeGreaterThan(nowRound);
      expect(receipt.revealRound).toBeLessThan(nowRound + (2 * 361 * 12) / 3 + 10);
    } finally {
      await setDevnetStorage(admin, subnetItems(NETUID, { CommitRevealWeightsEnabled: false }));
    }
  });

  it('counts stake inherited through a child key as the chain does: the preflight and the chain both accept', async () => {
    // Prepare: Charlie has no own alpha; Alice (1000 TAO) gives it all her stake as its parent
    const alice = toAddress('//Alice');
    const charlie = toAddress('//Charlie');
    const all = 18_446_744_073_709_551_615n;
    await setDevnetStorage(admin, [
      { item: 'StakeThreshold', args: [], value: 1_000_000_000n },
      { item: 'ParentKeys', args: [charlie, NETUID], value: [[all, alice]] },
      { item: 'ChildKeys', args: [alice, NETUID], value: [[all, charlie]] },
    ]);
    const chain = await port('//Charlie');
    try {
      // Act
      const status = await chain.validatorStatus(NETUID);
      const receipt = await chain.submitWeights({ netuid: NETUID, uids: [0, 1], weights: [1, 1] });
      const graph = await chain.metagraph(NETUID);

      // Assess
      expect(status.stake).toBe(1000);
      expect(status.problems).toEqual([]);
      expect(receipt.kind).toBe('set');
      expect(await readWeights(admin, NETUID, 2)).toEqual({ uids: [0, 1], weights: [65535, 65535] });
      expect(graph.neurons[2]?.stake).toBe(1000);
      expect(graph.neurons[0]?.stake).toBe(0);
    } finally {
      await setDevnetStorage(admin, [
        { item: 'StakeThreshold', args: [], value: 0n },
        { item: 'ParentKeys', args: [charlie, NETUID], value: [] },
        { item: 'ChildKeys', args: [alice, NETUID], value: [] },
      ]);
    }
  });

  it('refuses a vector below MinAllowedWeights or above MaxWeightsLimit before signing, as the chain would', async () => {
    // Prepare
    const chain = await port('//Alice');
    const blind = await port('//Alice', { preflight: false });
    await setDevnetStorage(admin, subnetItems(NETUID, { MinAllowedWeights: 3 }));
    try {
      // Act
      const short = await chain
        .submitWeights({ netuid: NETUID, uids: [1, 2], weights: [1, 1] })
        .catch((e: unknown) => e);
      const shortOnChain = await blind
        .submitWeights({ netuid: NETUID, uids: [1, 2], weights: [1, 1] })
        .catch((e: unknown) => e);
      await setDevnetStorage(admin, subnetItems(NETUID, { MinAllowedWeights: 1, MaxWeightsLimit: 30000 }));
      const capped = await chain
        .submitWeights({ netuid: NETUID, uids: [1, 2], weights: [1, 1] })
        .catch((e: unknown) => e);
      const cappedOnChain = await blind
        .submitWeights({ netuid: NETUID, uids: [1, 2], weights: [1, 1] })
        .catch((e: unknown) => e);

      // Assess
      expect(short).toBeInstanceOf(WeightLimitsError);
      expect(String(short)).toMatch(/MinAllowedWeights asks for 3/);
      expect(shortOnChain).toMatchObject({ errorName: 'WeightVecLengthIsLow' });
      expect(capped).toBeInstanceOf(WeightLimitsError);
      expect(String(capped)).toMatch(/MaxWeightsLimit/);
      expect(cappedOnChain).toMatchObject({ errorName: 'MaxWeightExceeded' });
    } finally {
      await setDevnetStorage(admin, subnetItems(NETUID, { MinAllowedWeights: 1, MaxWeightsLimit: 65535 }));
    }
  });

  it('names the operator problem: not registered, no validator permit, stake weight below the threshold', async () => {
    // Prepare
    await setDevnetStorage(admin, [{ item: 'StakeThreshold', args: [], value: 10_000_000_000n }]);
    const dave = await port('//Dave');
    const bob = await port('//Bob');
    const alice = await port('//Alice');
    const readOnly = await ports.readOnlyPort('//Dave');
    try {
      // Act
      const [d, b, a, r] = await Promise.all([
        dave.standing(NETUID),
        bob.standing(NETUID),
        alice.standing(NETUID),
        readOnly.standing(NETUID),
      ]);

      // Assess
      expect(d?.problems).toEqual(['not-registered']);
      expect(b?.problems).toEqual(['no-validator-permit', 'stake-below-threshold']);
      expect(a).toMatchObject({
        uid: 0,
        validatorPermit: true,
        stake: 1000,
        stakeThreshold: 10,
        problems: [],
      });
      expect(r?.problems).toEqual(['not-registered']);
    } finally {
      await setDevnetStorage(admin, [{ item: 'StakeThreshold', args: [], value: 0n }]);
    }
  });

  it('commit-reveal on, no durable commit store: refuses the v2 hash commit instead of committing an unrevealable hash', async () => {
    // Prepare
    await setDevnetStorage(admin, subnetItems(NETUID, { CommitRevealWeightsEnabled: true }));
    const chain = await port('//Alice', { timelock: false });
    try {
      // Act
      const result = await chain
        .submitWeights({ netuid: NETUID, uids: [1], weights: [1] })
        .catch((e: unknown) => e);

      // Assess
      expect(result).toBeInstanceOf(UnsupportedRuntimeError);
      expect(String(result)).toMatch(/no durable commit store/);
      expect(
        (await admin.query.subtensorModule?.weightCommits?.(NETUID, toAddress('//Alice')))?.toJSON(),
      ).toBeNull();
    } finally {
      await setDevnetStorage(admin, subnetItems(NETUID, { CommitRevealWeightsEnabled: false }));
    }
  });

  it('a websocket dropped during submission is a typed error, and nothing is submitted twice', async () => {
    // Prepare
    const proxy = await startTcpProxy(devnet.endpoint);
    const startBlock = (await admin.rpc.chain.getHeader()).number.toNumber();
    try {
      const chain = await createChainPort({
        endpoints: [proxy.endpoint],
        hotkeySecret: '//Alice',
        timeoutMs: 5000,
      });
      proxy.dropOnServerText('author_extrinsicUpdate');

      // Act
      const started = Date.now();
      const outcome = await chain
        .submitWeights({ netuid: NETUID, uids: [6, 7], weights: [1, 3] })
        .catch((e) => e);
      const elapsed = Date.now() - started;
      await chain.close();
      await newBlocks(admin, 1);
      const landed = await countSetWeights(toAddress('//Alice'), startBlock);
      const again = await port('//Alice');
      const retry = await again
        .submitWeights({ netuid: NETUID, uids: [6, 7], weights: [1, 3] })
        .catch((e) => e);

      // Assess
      expect(proxy.drops).toBe(1);
      expect(outcome).toBeInstanceOf(ChainConnectionError);
      expect(elapsed).toBeLessThan(5000);
      expect(landed).toBeLessThanOrEqual(1);
      // an operator's retry sees the chain's truth: rate-limited if the first one landed, accepted if not
      if (landed === 1) expect(retry).toBeInstanceOf(RateLimitedError);
      else expect(retry).toMatchObject({ kind: 'set' });
      expect(await countSetWeights(toAddress('//Alice'), startBlock)).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('a hung websocket ends in ChainTimeoutError within the deadline, never a hang', async () => {
    // Prepare
    const proxy = await startTcpProxy(devnet.endpoint);
    const chain = await createChainPort({
      endpoints: [proxy.endpoint],
      hotkeySecret: '//Alice',
      timeoutMs: 1500,
    });
    try {
      proxy.freeze();

      // Act
      const started = Date.now();
      const read = await chain.metagraph(NETUID).catch((e: unknown) => e);
      const submit = await chain
        .submitWeights({ netuid: NETUID, uids: [1], weights: [1] })
        .catch((e: unknown) => e);
      const elapsed = Date.now() - started;

      // Assess
      expect(read).toBeInstanceOf(ChainTimeoutError);
      expect(submit).toBeInstanceOf(ChainTimeoutError);
      expect(elapsed).toBeLessThan(2 * 1500 + 1000);
    } finally {
      await chain.close();
      await proxy.close();
    }
  });

  it('an endpoint that does not answer falls back to the next one', async () => {
    // Prepare
    const dead = 'ws://127.0.0.1:9';

    // Act
    const chain = await createChainPort({ endpoints: [dead, devnet.endpoint], timeoutMs: 5000 });
    ports.track(chain);
    const block = await chain.currentBlock();

    // Assess
    expect(block).toBeGreaterThan(0);
    await expect(createChainPort({ endpoints: [dead], timeoutMs: 2000 })).rejects.toBeInstanceOf(
      ChainConnectionError,
    );
  });
});
