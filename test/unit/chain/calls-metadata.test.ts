import type { ApiPromise } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeightCall, type WeightPlan, weightPath } from '../../../lib/chain/calls.js';
import { commitHashV2, timelockPayload } from '../../../lib/chain/index.js';
import { GENESIS_HASH, metadataApi } from './metadata-api.js';

let api: ApiPromise;

beforeAll(async () => {
  await cryptoWaitReady();
  api = await metadataApi();
});

afterAll(async () => {
  await api.disconnect();
});

const PLANS: Record<string, WeightPlan> = {
  set: { kind: 'set' },
  commit: { kind: 'commit', commitHash: `0x${'11'.repeat(32)}` },
  reveal: { kind: 'reveal', salt: [1, 2, 3, 4, 5, 6, 7, 8] },
  timelocked: {
    kind: 'timelocked-commit',
    ciphertext: new Uint8Array(200).fill(0xab),
    revealRound: 123456,
    commitRevealVersion: 4,
  },
};

describe('weight calls against the spec-381 metadata', () => {
  it('prefers the mechanism calls when the runtime has them', () => {
    // Prepare
    const expected = {
      set: 'set_mechanism_weights',
      commit: 'commit_mechanism_weights',
      reveal: 'reveal_mechanism_weights',
      timelocked: 'commit_timelocked_mechanism_weights',
    };

    // Act
    const chosen = Object.fromEntries(
      Object.entries(PLANS).map(([k, plan]) => [k, buildWeightCall(api, 1, [1, 2], [1, 2], 7, plan).call]),
    );

    // Assess
    expect(chosen).toEqual(expected);
  });

  it('picks the path from commit-reveal and the encryptor', () => {
    // Act
    const paths = [weightPath(api, false, false), weightPath(api, true, false), weightPath(api, true, true)];

    // Assess
    expect(paths).toEqual(['set', 'commit', 'timelocked-commit']);
  });

  it('encodes set_mechanism_weights byte for byte as recorded in chain.md §B.5', () => {
    // Act
    const call = buildWeightCall(api, 1, [1, 2], [32768, 65535], 7, { kind: 'set' });

    // Assess
    expect(call.tx.method.toHex()).toBe('0x07770100000801000200080080ffff0700000000000000');
  });

  it('falls back to the legacy calls on a runtime without mechanisms, encoded as chain.md §B.5 recorded', () => {
    // Prepare: the same metadata with the mechanism calls hidden, as on spec 293
    const tx = api.tx.subtensorModule ?? {};
    const legacy = {
      tx: {
        subtensorModule: Object.fromEntries(
          Object.entries(tx).filter(([name]) => !name.includes('Mechanism')),
        ),
      },
    } as unknown as ApiPromise;

    // Act
    const set = buildWeightCall(legacy, 1, [1, 2], [32768, 65535], 7, { kind: 'set' });
    const timelocked = buildWeightCall(legacy, 1, [], [], 0, {
      kind: 'timelocked-commit',
      ciphertext: new Uint8Array(8).fill(0xab),
      revealRound: 123456,
      commitRevealVersion: 4,
    });

    // Assess
    expect(set.call).toBe('set_weights');
    expect(set.tx.method.toHex()).toBe('0x07000100080100020008008' + '0ffff0700000000000000');
    expect(timelocked.call).toBe('commit_timelocked_weights');
    expect(timelocked.tx.method.toHex()).toBe(`0x0771010020${'ab'.repeat(8)}40e20100000000000400`);
  });

  it.each(Object.entries(PLANS))('signs the %s call as //Alice and decodes it back', async (_name, plan) => {
    // Prepare
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const call = buildWeightCall(api, 27, [0, 5, 9], [100, 200, 65535], 190, plan);

    // Act
    const signed = await call.tx.signAsync(alice, { nonce: 3, era: 0, blockHash: GENESIS_HASH });
    const decoded = api.createType('Extrinsic', signed.toHex());

    // Assess
    expect(decoded.isSigned).toBe(true);
    expect(decoded.signer.toString()).toBe(alice.address);
    expect(decoded.nonce.toNumber()).toBe(3);
    expect(decoded.method.section).toBe('subtensorModule');
    expect(decoded.method.toHex()).toBe(call.tx.method.toHex());
    const args = decoded.method.toJSON() as { args: Record<string, unknown> };
    expect(args.args.netuid).toBe(27);
    if (plan.kind !== 'timelocked-commit' && plan.kind !== 'commit') {
      expect(args.args.version_key).toBe(190);
    }
  });
});

describe('commit payloads', () => {
  it('hashes the v2 commit over SCALE (hotkey, u16, Vec<u16>×3, u64), as the chain does', () => {
    // Prepare
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const le16 = (v: number): number[] => [v & 0xff, v >> 8];
    const vec16 = (xs: number[]): number[] => [xs.length << 2, ...xs.flatMap(le16)];
    const manual = u8aConcat(
      alice.publicKey,
      new Uint8Array(le16(1)),
      new Uint8Array(vec16([1, 2])),
      new Uint8Array(vec16([1000, 65535])),
      new Uint8Array(vec16([7, 8])),
      new Uint8Array([190, 0, 0, 0, 0, 0, 0, 0]),
    );

    // Act
    const hash = commitHashV2(api, alice.address, 1, [1, 2], [1000, 65535], [7, 8], 190);

    // Assess
    expect(hash).toBe(blake2AsHex(manual, 256));
  });

  it('encodes the timelock payload as (Vec<u8> hotkey, Vec<u16>, Vec<u16>, u64)', () => {
    // Prepare
    const key = new Uint8Array(32).fill(7);

    // Act
    const bytes = timelockPayload(api, key, [3], [65535], 5);
    const legacy = timelockPayload(api, key, [3], [65535], 5, true);

    // Assess: Vec<u8>(32) hotkey | Vec<u16> [3] | Vec<u16> [65535] | u64 5; the CRv3 form lacks the hotkey
    const tail = '04030004ffff0500000000000000';
    expect(u8aToHex(bytes)).toBe(`0x80${'07'.repeat(32)}${tail}`);
    expect(u8aToHex(legacy)).toBe(`0x${tail}`);
  });
});
