import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { ApiPromise } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import {
  connectDevnet,
  type Devnet,
  newBlocks,
  type SeedHyperparams,
  type SeedSubnetOptions,
  seedSubnet,
  startDevnet,
  toAddress,
} from '../../../harness/chain/devnet.js';
import {
  type ChainPortOptions,
  createChainPort,
  roundIdentity,
  type SubtensorChain,
} from '../../../lib/chain/index.js';

/** The hyperparameters both chain suites seed: version key 7, a 5-block weights rate limit, tempo 360. */
const SEED_HYPERPARAMS: SeedHyperparams = {
  weightsVersionKey: 7,
  weightsRateLimit: 5,
  minAllowedWeights: 1,
  tempo: 360,
};

/**
 * Storage items of one subnet (keyed by the netuid alone, as `Tempo` or `CommitRevealWeightsEnabled`)
 * as `setDevnetStorage` entries: a test sets what it needs and puts the seed's values back the same way.
 */
export function subnetItems(
  netuid: number,
  values: Record<string, unknown>,
): { item: string; args: [number]; value: unknown }[] {
  return Object.entries(values).map(([item, value]) => ({ item, args: [netuid], value }));
}

/**
 * Boots chopsticks on the spec-293 runtime and seeds one subnet (with {@link SEED_HYPERPARAMS} unless
 * `seed` names its own); one boot a file (≈6 s, 270 MB).
 */
export async function startSeededDevnet(
  seed: SeedSubnetOptions,
): Promise<{ devnet: Devnet; admin: ApiPromise }> {
  const devnet = await startDevnet();
  const admin = await connectDevnet(devnet.endpoint);
  await seedSubnet(admin, { hyperparams: SEED_HYPERPARAMS, ...seed });
  return { devnet, admin };
}

/**
 * The chain ports a suite opens on its devnet, all closed by `closeAll` when the file ends. `endpoint`
 * is read at each open: the devnet boots in a `beforeAll`, after this is built.
 */
export function devnetPorts(endpoint: () => string) {
  const opened: SubtensorChain[] = [];
  return {
    /** A port that signs as `secret` (a dev URI), with a 20 s RPC deadline unless `extra` says otherwise. */
    async port(
      secret: string,
      extra: Partial<ChainPortOptions> & { preflight?: boolean } = {},
    ): Promise<SubtensorChain> {
      const p = await createChainPort({
        endpoints: [endpoint()],
        hotkeySecret: secret,
        timeoutMs: 20_000,
        ...extra,
      });
      opened.push(p);
      return p;
    },
    /** A port without a secret that knows our hotkey's address only, as the sync's preflight has it. */
    async readOnlyPort(hotkeyUri: string): Promise<SubtensorChain> {
      const p = await createChainPort({ endpoints: [endpoint()], validatorHotkey: toAddress(hotkeyUri) });
      opened.push(p);
      return p;
    },
    /** Closes a port opened some other way along with the rest. */
    track(p: SubtensorChain): void {
      opened.push(p);
    },
    async closeAll(): Promise<void> {
      for (const p of opened) await p.close();
    },
  };
}

/**
 * A drand-style test beacon: a BLS12-381 key pair whose `publicKey` `DrandTimelock` encrypts to, and
 * which signs the pulses a test writes for the runtime to decrypt with.
 */
export class TestBeacon {
  readonly publicKey: string;
  readonly #sk: bigint;

  constructor(secret: bigint) {
    this.#sk = bls12_381.fields.Fr.create(secret);
    this.publicKey = Buffer.from(bls12_381.G2.Point.BASE.multiply(this.#sk).toBytes(true)).toString('hex');
  }

  /**
   * Writes this beacon's pulse for `round` into `Drand.Pulses`, as the drand relayer would: the runtime
   * reads it there and decrypts the timelocked commits of that round itself.
   */
  async writePulse(admin: ApiPromise, round: number, randomness: string): Promise<void> {
    const pulse = admin.query.drand?.pulses;
    if (pulse === undefined) throw new Error('runtime has no Drand.Pulses');
    const pulseType = admin.registry.createLookupType(pulse.creator.meta.type.asMap.value);
    const value = admin.createType(pulseType, {
      round,
      randomness,
      signature: u8aToHex(roundIdentity(round).multiply(this.#sk).toBytes(true)),
    });
    await admin.rpc('dev_setStorage' as never, [[pulse.key(round), u8aToHex(value.toU8a())]] as never);
  }
}

/** One v2 hash commit as the runtime keeps it: hash, commit block, first and last reveal block. */
export type WeightCommit = [hash: string, commitBlock: number, firstReveal: number, lastReveal: number];

/**
 * Reads `hotkeyUri`'s v2 commit queue on the subnet, then produces blocks until its first commit's
 * reveal window is open for the next block `chain` submits in.
 */
export async function untilFirstReveal(
  admin: ApiPromise,
  chain: SubtensorChain,
  netuid: number,
  hotkeyUri: string,
): Promise<WeightCommit[] | null> {
  const queue = (
    await admin.query.subtensorModule?.weightCommits?.(netuid, toAddress(hotkeyUri))
  )?.toJSON() as WeightCommit[] | null;
  const firstReveal = queue?.[0]?.[2] ?? 0;
  const now = await chain.currentBlock();
  if (firstReveal > now + 1) await newBlocks(admin, firstReveal - now - 1);
  return queue;
}
