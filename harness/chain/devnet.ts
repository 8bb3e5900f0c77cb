/**
 * Dev network for tests, benches and `npm run local`: the real subtensor runtime (spec 293) in
 * chopsticks, offline, plus helpers that seed a subnet and read weights back. Never bundled into a
 * Lambda (it pulls in chopsticks and spawns processes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { SUBTENSOR_SIGNED_EXTENSIONS } from '../../lib/chain/connection.js';
import { ChainError } from '../../lib/chain/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..');

/** The raw spec-293 chain spec in the shared fixtures (never copied into the repo). */
export const DEFAULT_DEVNET_SPEC = resolve(
  projectRoot,
  '..',
  'shared',
  'chain',
  'subtensor-spec293.raw.json',
);

export interface DevnetOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Path of the raw chain spec; defaults to {@link DEFAULT_DEVNET_SPEC}. */
  readonly specPath?: string;
  /** `Instant` (default) builds a block per transaction; `Manual` waits for `dev_newBlock`. */
  readonly blockMode?: 'Instant' | 'Manual';
  /** Boot deadline in milliseconds (default 60 000). */
  readonly bootTimeoutMs?: number;
}

export interface Devnet {
  readonly endpoint: string;
  readonly pid: number;
  /** Stops the chopsticks process by PID (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
}

// Runs in the child `node` process. The aura slot cache is seeded because chopsticks asks the runtime
// with unresolved imports disallowed, fails silently and falls back to 12 s slots (chain.md §B.2 gotcha 2).
const CHILD_SOURCE = `
const [specPath, port, mode, modUrl] = process.argv.slice(-4);
const fs = await import('node:fs');
const chopsticks = await import(modUrl);
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const code = spec.genesis.raw.top['0x3a636f6465'];
chopsticks.getAuraSlotDuration.cache.set(code, Promise.resolve(1000));
const ctx = await chopsticks.setupWithServer({ genesis: specPath, host: '127.0.0.1', port: Number(port),
  'allow-unresolved-imports': true, 'build-block-mode': mode });
process.stdout.write('DEVNET_READY ' + ctx.addr + '\\n');
const shutdown = () => { ctx.close().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
`;

/**
 * Starts chopsticks with the spec-293 runtime as a separate `node` process on 127.0.0.1 (chain.md
 * §B.2: seeded aura slot, unresolved imports allowed, Instant blocks). Boot takes about 6 s and
 * 270 MB: start one per test file, stop it by PID.
 */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const specPath = options.specPath ?? DEFAULT_DEVNET_SPEC;
  if (!existsSync(specPath)) throw new ChainError(`devnet chain spec not found at ${specPath}`);
  const modUrl = import.meta.resolve('@acala-network/chopsticks');
  // `node`, not `npx`: npx leaves a grandchild, so the saved PID would not stop the server (gotcha 7).
  // a file, not `-e`: chopsticks' worker threads inherit execArgv and reject `--input-type`
  const scratch = mkdtempSync(join(tmpdir(), 'devnet-'));
  const script = join(scratch, 'devnet-child.mjs');
  writeFileSync(script, CHILD_SOURCE);
  const child: ChildProcess = spawn(
    process.execPath,
    [script, specPath, String(options.port ?? 0), options.blockMode ?? 'Instant', modUrl],
    {
      cwd: projectRoot,
      env: { ...process.env, LOG_LEVEL: process.env.DEVNET_LOG_LEVEL ?? 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const pid = child.pid ?? -1;
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      rmSync(scratch, { recursive: true, force: true });
      done();
    }),
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const addr = await new Promise<string>((done, fail) => {
      let seen = '';
      const timer = setTimeout(
        () =>
          fail(
            new ChainError(
              `devnet did not start in ${options.bootTimeoutMs ?? 60_000} ms: ${seen.slice(-400)}`,
            ),
          ),
        options.bootTimeoutMs ?? 60_000,
      );
      const onData = (chunk: Buffer): void => {
        seen += chunk.toString();
        const match = /DEVNET_READY (\S+)/.exec(seen);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          done(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new ChainError(`devnet exited with ${code}: ${seen.slice(-400)}`));
      });
    });
    child.stdout?.resume();
    child.stderr?.resume();
    return { endpoint: `ws://${addr}`, pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Opens an API on a devnet (test helper; production code uses the chain port). */
export async function connectDevnet(endpoint: string): Promise<ApiPromise> {
  await cryptoWaitReady();
  const provider = new WsProvider(endpoint, false);
  await provider.connect();
  return ApiPromise.create({
    provider,
    throwOnConnect: true,
    noInitWarn: true,
    signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS,
  });
}

export interface SeedNeuron {
  /** Hotkey as a dev URI (`//Alice`), mnemonic or seed; or give `hotkey` as an address. */
  readonly hotkeyUri?: string;
  readonly hotkey?: string;
  /** Coldkey address or URI; defaults to the hotkey. */
  readonly coldkey?: string;
  readonly axon?: { readonly ip: string; readonly port: number; readonly version: number };
  /** Alpha stake in TAO units (written as TotalHotkeyAlpha rao). */
  readonly stake?: number;
  readonly validatorPermit?: boolean;
  readonly lastUpdate?: number;
}

export interface SeedHyperparams {
  readonly tempo?: number;
  readonly weightsRateLimit?: number;
  readonly weightsVersionKey?: number;
  readonly minAllowedWeights?: number;
  readonly maxWeightsLimit?: number;
  readonly commitRevealEnabled?: boolean;
  readonly revealPeriodEpochs?: number;
  /** StakeThreshold (global, "weights_min_stake") in TAO. */
  readonly stakeThreshold?: number;
}

export interface SeedSubnetOptions {
  readonly netuid: number;
  readonly neurons: readonly SeedNeuron[];
  readonly hyperparams?: SeedHyperparams;
  /** Owner hotkey (address or URI); its uid is the burn uid. */
  readonly ownerHotkey?: string;
}

type StorageArgs = readonly unknown[];

/** Resolves a dev URI / mnemonic to an address, leaving addresses as they are. */
export function toAddress(keyOrUri: string): string {
  if (keyOrUri.startsWith('//') || keyOrUri.includes(' ') || /^0x[0-9a-f]{64}$/i.test(keyOrUri)) {
    return new Keyring({ type: 'sr25519' }).addFromUri(keyOrUri).address;
  }
  return keyOrUri;
}

/** IPv4 dotted text to the integer the chain stores (IPv6 is not needed by the devnet). */
function ipv4ToInt(ip: string): bigint {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new ChainError(`not an IPv4 address: ${ip}`);
  }
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

/** Storage item names as metadata spells them (`SubnetworkN`) to polkadot.js' accessor (`subnetworkN`). */
function camel(item: string): string {
  return item.charAt(0).toLowerCase() + item.slice(1);
}

/**
 * Encodes one storage entry as a raw `[key, value]` pair. Raw pairs side-step chopsticks' object form,
 * which treats 0/false as "delete the key" (chain.md §B.2 gotcha 4).
 */
export function rawStorage(
  api: ApiPromise,
  item: string,
  args: StorageArgs,
  value: unknown,
): [string, string] {
  const entry = api.query.subtensorModule?.[camel(item)];
  if (entry === undefined) throw new ChainError(`storage SubtensorModule.${item} is not in this runtime`);
  const meta = entry.creator.meta.type;
  const typeId = meta.isPlain ? meta.asPlain : meta.asMap.value;
  const typeName = api.registry.createLookupType(typeId);
  const encoded = api.registry.createType(typeName, value).toU8a();
  return [entry.key(...args), u8aToHex(encoded)];
}

/**
 * Seeds a subnet on a devnet through `dev_setStorage`: neurons with uids 0..n-1 in the given order,
 * axons, alpha stake, permits, hyperparameters and the owner hotkey. Takes an API or an endpoint.
 */
export async function seedSubnet(
  target: ApiPromise | string,
  options: SeedSubnetOptions,
): Promise<{ hotkeys: string[] }> {
  if (typeof target === 'string') {
    const api = await connectDevnet(target);
    try {
      return await seedSubnet(api, options);
    } finally {
      await api.disconnect();
    }
  }
  const api = target;
  const { netuid, neurons } = options;
  const has = (item: string): boolean => api.query.subtensorModule?.[camel(item)] !== undefined;
  const pairs: [string, string][] = [];
  const put = (item: string, args: StorageArgs, value: unknown): void => {
    if (has(item)) pairs.push(rawStorage(api, item, args, value));
  };
  const hotkeys = neurons.map((n) => n.hotkey ?? toAddress(n.hotkeyUri ?? ''));
  const n = neurons.length;
  put('NetworksAdded', [netuid], true);
  put('SubnetworkN', [netuid], n);
  put('MaxAllowedUids', [netuid], Math.max(n, 256));
  neurons.forEach((neuron, uid) => {
    const hotkey = hotkeys[uid] as string;
    const coldkey = toAddress(neuron.coldkey ?? hotkey);
    put('Keys', [netuid, uid], hotkey);
    put('Uids', [netuid, hotkey], uid);
    put('Owner', [hotkey], coldkey);
    put('IsNetworkMember', [hotkey, netuid], true);
    put('BlockAtRegistration', [netuid, uid], 0);
    put('TotalHotkeyAlpha', [hotkey, netuid], BigInt(Math.round((neuron.stake ?? 0) * 1e9)));
    if (neuron.axon !== undefined) {
      put('Axons', [netuid, hotkey], {
        block: 1,
        version: neuron.axon.version,
        ip: ipv4ToInt(neuron.axon.ip),
        port: neuron.axon.port,
        ipType: 4,
        protocol: 4,
        placeholder1: 0,
        placeholder2: 0,
      });
    }
  });
  put(
    'ValidatorPermit',
    [netuid],
    neurons.map((x) => x.validatorPermit ?? false),
  );
  put(
    'Active',
    [netuid],
    neurons.map(() => true),
  );
  put(
    'LastUpdate',
    [netuid],
    neurons.map((x) => x.lastUpdate ?? 0),
  );
  const hp = options.hyperparams ?? {};
  put('Tempo', [netuid], hp.tempo ?? 360);
  put('WeightsSetRateLimit', [netuid], hp.weightsRateLimit ?? 100);
  put('WeightsVersionKey', [netuid], hp.weightsVersionKey ?? 0);
  put('MinAllowedWeights', [netuid], hp.minAllowedWeights ?? 1);
  put('MaxWeightsLimit', [netuid], hp.maxWeightsLimit ?? 65535);
  put('CommitRevealWeightsEnabled', [netuid], hp.commitRevealEnabled ?? false);
  put('RevealPeriodEpochs', [netuid], hp.revealPeriodEpochs ?? 1);
  put('StakeThreshold', [], BigInt(Math.round((hp.stakeThreshold ?? 0) * 1e9)));
  if (options.ownerHotkey !== undefined) {
    const owner = toAddress(options.ownerHotkey);
    put('SubnetOwnerHotkey', [netuid], owner);
    put('SubnetOwner', [netuid], owner);
  }
  await api.rpc('dev_setStorage' as never, pairs as never);
  return { hotkeys };
}

/** Updates single storage items on a devnet (raw pairs, so 0/false are written, not deleted). */
export async function setDevnetStorage(
  api: ApiPromise,
  entries: readonly { item: string; args: StorageArgs; value: unknown }[],
): Promise<void> {
  const pairs = entries.map((e) => rawStorage(api, e.item, e.args, e.value));
  await api.rpc('dev_setStorage' as never, pairs as never);
}

/** Builds `count` empty blocks (chopsticks `dev_newBlock`). */
export async function newBlocks(api: ApiPromise, count = 1): Promise<void> {
  await api.rpc('dev_newBlock' as never, { count } as never);
}

/** Reads a validator's stored weight row back: `(dest uid, u16 value)` pairs, as the chain wrote them. */
export async function readWeights(
  api: ApiPromise,
  netuid: number,
  uid: number,
): Promise<{ uids: number[]; weights: number[] }> {
  const row = (await api.query.subtensorModule?.weights?.(netuid, uid)) as unknown as {
    toJSON(): [number, number][];
  };
  const pairs = row.toJSON();
  return { uids: pairs.map((p) => p[0]), weights: pairs.map((p) => p[1]) };
}

/** Reads `LastUpdate` for a subnet (block of each uid's last set or commit). */
export async function readLastUpdate(api: ApiPromise, netuid: number): Promise<number[]> {
  const v = (await api.query.subtensorModule?.lastUpdate?.(netuid)) as unknown as { toJSON(): number[] };
  return v.toJSON().map(Number);
}

/** Signs and sends an extrinsic as a dev key and waits for inclusion (devnet setup only). */
export async function sendAs(uri: string, tx: SubmittableExtrinsic<'promise'>): Promise<void> {
  const pair = new Keyring({ type: 'sr25519' }).addFromUri(uri);
  await new Promise<void>((done, fail) => {
    tx.signAndSend(pair, (result) => {
      if (result.isInBlock || result.isFinalized) done();
      if (result.isError) fail(new ChainError('devnet extrinsic failed'));
    }).catch(fail);
  });
}
