import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { assembleExternalState } from '../../../lib/wandb/assemble.js';
import { signRunId } from '../../../lib/wandb/signature.js';
import { encodeRunConfig, type RunNode } from '../../../lib/wandb/wire.js';

let a: KeyringPair;
let b: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  a = keyring.addFromUri('//AssembleA');
  b = keyring.addFromUri('//AssembleB');
});

function node(pair: KeyringPair, runId: string, config: Record<string, unknown>): RunNode {
  return {
    name: runId,
    config: encodeRunConfig({
      hotkey: pair.address,
      role: 'validator',
      config: { netuid: 27 },
      signature: signRunId(pair, runId),
      ...config,
    }),
  };
}

const entry = (gpu: string, score: number) => ({
  hotkey: '5Miner',
  gpu_specs: { gpu_name: gpu, num_gpus: 8 },
  score,
  allocated: true,
  own_score: true,
  reliability_score: 0,
});

describe('Function: assembleExternalState()', () => {
  it('counts one stats vote per validator hotkey: its newest run that has stats', () => {
    // Prepare: A has three runs (two voting H200), B one run voting A100; oldest first
    const runs = [
      node(a, 'a-old', { stats: { '1': entry('H200', 80) }, allocated_hotkeys: ['5Y'] }),
      node(a, 'a-mid', { stats: { '1': entry('H200', 80) } }),
      node(b, 'b-one', { stats: { '1': entry('A100', 38) } }),
      node(a, 'a-new', { allocated_hotkeys: ['5X'] }),
    ];
    // Act
    const result = assembleExternalState({
      runs,
      netuid: 27,
      validHotkeys: new Set([a.address, b.address]),
      trustedPenaltyHotkeys: new Set(),
    });
    // Assess: one vote each, tie broken by the higher score (H200 80)
    expect(result.state.statsAllocated['1']?.gpu_specs?.gpu_name).toBe('H200');
    expect(result.state.allocatedHotkeys).toEqual(['5X']);
    expect(result.accepted).toBe(4);
  });

  it('re-checks role and netuid client-side instead of trusting the server filter', () => {
    // Prepare
    const runs = [
      node(a, 'miner-run', { role: 'miner', allocated_hotkeys: ['5X'] }),
      node(b, 'other-net', { config: { netuid: 15 }, allocated_hotkeys: ['5Y'] }),
    ];
    // Act
    const result = assembleExternalState({
      runs,
      netuid: 27,
      validHotkeys: new Set([a.address, b.address]),
      trustedPenaltyHotkeys: new Set(),
    });
    // Assess
    expect(result.state.allocatedHotkeys).toEqual([]);
    expect(result.rejected['filter-mismatch']).toBe(2);
  });

  it('uses the injected signature check', () => {
    // Prepare
    const runs = [node(a, 'r1', { allocated_hotkeys: ['5X'] })];
    // Act
    const result = assembleExternalState({
      runs,
      netuid: 27,
      validHotkeys: new Set([a.address]),
      trustedPenaltyHotkeys: new Set(),
      verify: () => false,
    });
    // Assess
    expect(result.rejected['bad-signature']).toBe(1);
    expect(result.state.allocatedHotkeys).toEqual([]);
  });
});
