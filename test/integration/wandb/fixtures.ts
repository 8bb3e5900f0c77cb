import { createHash } from 'node:crypto';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import type { Metagraph } from '../../../lib/ports.js';
import type { WandbServer } from '../../helpers/wandb-server.js';

/** Two miner hotkeys (ss58) the W&B suites put into runs. */
export const MINER_A = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
export const MINER_B = '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y';

/** Real sr25519 keys, derived from dev URIs so failures are reproducible. */
export async function makeKeys(...names: string[]): Promise<KeyringPair[]> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  return names.map((name) => keyring.addFromUri(`//${name}`));
}

/** Signs as the reference's `sign_run` does, independently of lib/wandb: sr25519(sha256(run id)), hex without 0x. */
export function referenceSignature(pair: KeyringPair, runId: string): string {
  const digest = createHash('sha256').update(runId, 'utf8').digest();
  return Buffer.from(pair.sign(new Uint8Array(digest))).toString('hex');
}

export interface ValidatorRunSpec {
  readonly pair: KeyringPair;
  readonly runId: string;
  readonly netuid?: number;
  readonly allocated?: readonly string[];
  readonly stats?: Record<string, unknown>;
  readonly penalties?: readonly unknown[];
  /** Overrides the correct signature; `null` leaves the run unsigned. */
  readonly signature?: string | null;
}

/** A validator run config as the reference publishes it (§6.1). */
export function validatorConfig(spec: ValidatorRunSpec): Record<string, unknown> {
  const config: Record<string, unknown> = {
    hotkey: spec.pair.address,
    role: 'validator',
    version: 190,
    config: { netuid: spec.netuid ?? 27, subtensor: { network: 'finney' } },
  };
  if (spec.allocated) config.allocated_hotkeys = [...spec.allocated];
  if (spec.stats) config.stats = spec.stats;
  if (spec.penalties) config.penalized_hotkeys_checklist = [...spec.penalties];
  const signature = spec.signature === undefined ? referenceSignature(spec.pair, spec.runId) : spec.signature;
  if (signature !== null) config.signature = signature;
  return config;
}

/** Publishes each spec on `server` as a validator run named after its run id, in the order given (oldest first). */
export function addValidatorRuns(server: WandbServer, ...specs: ValidatorRunSpec[]): void {
  for (const spec of specs) server.addRun({ name: spec.runId, config: validatorConfig(spec) });
}

/** A stats entry in the reference's field names. */
export function statEntry(
  uid: number,
  hotkey: string,
  gpu: string | null,
  count: number,
  score: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    uid,
    hotkey,
    gpu_specs: gpu === null ? null : { gpu_name: gpu, num_gpus: count },
    score,
    allocated: true,
    own_score: true,
    reliability_score: 0,
    created_at: '2026-01-01 00:00:00',
    ...overrides,
  };
}

/** A metagraph where each given hotkey holds the given stake (TAO). */
export function metagraphOf(
  entries: ReadonlyArray<{ hotkey: string; stake: number }>,
  netuid = 27,
): Metagraph {
  return {
    netuid,
    block: 1_000,
    neurons: entries.map((entry, uid) => ({
      uid,
      hotkey: entry.hotkey,
      coldkey: entry.hotkey,
      axon: null,
      stake: entry.stake,
      validatorPermit: entry.stake > 1e4,
      active: true,
      lastUpdate: 0,
    })),
  };
}

/** Records log lines and metrics for assertions. */
export function recorders() {
  const logs: Array<{ level: 'info' | 'warn' | 'error'; message: string; extra: Record<string, unknown>[] }> =
    [];
  const metrics: Array<{ name: string; unit: string; value: number }> = [];
  return {
    logs,
    metrics,
    logger: {
      info: (message: string, ...extra: Record<string, unknown>[]) =>
        logs.push({ level: 'info', message, extra }),
      warn: (message: string, ...extra: Record<string, unknown>[]) =>
        logs.push({ level: 'warn', message, extra }),
      error: (message: string, ...extra: Record<string, unknown>[]) =>
        logs.push({ level: 'error', message, extra }),
    },
    metricsSink: {
      addMetric: (name: string, unit: string, value: number) => metrics.push({ name, unit, value }),
    },
  };
}
