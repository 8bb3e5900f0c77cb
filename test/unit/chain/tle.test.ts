import type { ApiPromise } from '@polkadot/api';
import { hexToU8a } from '@polkadot/util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTle, TimelockError, tleDecrypt, tleEncrypt, verifyBeacon } from '../../../lib/chain/tle.js';
import { metadataApi } from './metadata-api.js';

// drand quicknet pulses (public, immutable): api.drand.sh/52db9ba7…e971/public/{1000,1001}
const ROUND_1000_SIG =
  'b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39';
const ROUND_1001_SIG =
  'b33bf3667cbd5a82de3a24b4e0e9fe5513cc1a0e840368c6e31f5fcfa79bea03f73896b25883abf2853d10337fb8fa41';
// call data of a commit_timelocked_mechanism_weights accepted on finney (block 9101269), produced by
// the upstream Rust encryptor (bittensor-drand); public test fixture of a polkadot signing-payload suite
const FINNEY_CALL =
  '0x0776070000bd04add79c4f91c9b56920e48e41d7de2bb50289966534371c16faa5a023d0052165283424fbb6f6b4121516acb75f50f2181301bd76c3df06e40409b293b2e4e6d4c5d29dfaf57239e2d21ec7a65f1fdd00905d91dee6baebc895c9deb76849c8cf2000000000000000ce281554cf945eba34e9159487c3fe6854f039ebfb99c23e56075b6782187c402000000000000000c6650336df21d47c5cbd05e202b072c38c7d9c7ff7dad2ff9811ebddb41b3e7067000000000000004b0000000000000045f7265fea37fb03a04611dac062e06e03585ba9c05a17784e6a34efb1a7f787b4b9e5c5dd615c1746f01a2806db82524a93f616fe8981c62ab4ec28fe9839b75d0608593f6f72aceaaca10c00000000000000f6e30fc8e613b20200bf45fe08000000000000004145535f47434d5fef79ed01000000000400';

let api: ApiPromise;

beforeAll(async () => {
  api = await metadataApi();
});

afterAll(async () => {
  await api.disconnect();
});

describe('timelock encryption (drand quicknet, tle format)', () => {
  it('hashes round identities exactly as drand signs them (real round-1000 signature verifies)', () => {
    // Assess
    expect(verifyBeacon(1000, ROUND_1000_SIG)).toBe(true);
    expect(verifyBeacon(1001, ROUND_1001_SIG)).toBe(true);
    expect(verifyBeacon(1001, ROUND_1000_SIG)).toBe(false);
  });

  it('encrypts to a round that only that round’s real quicknet signature opens', () => {
    // Prepare
    const payload = new TextEncoder().encode('weights for uid 3 and 4');

    // Act
    const ct = tleEncrypt(payload, 1000);
    const opened = tleDecrypt(ct, ROUND_1000_SIG);

    // Assess
    expect(Buffer.from(opened).toString()).toBe('weights for uid 3 and 4');
    expect(() => tleDecrypt(ct, ROUND_1001_SIG)).toThrow(TimelockError);
    const parts = parseTle(ct);
    expect(parts.cipherSuite).toBe('AES_GCM_');
    expect(parts.nonce).toHaveLength(12);
    expect(parts.aesCiphertext).toHaveLength(payload.length + 16);
  });

  it('parses a ciphertext the upstream encryptor produced on finney, field by field', () => {
    // Prepare
    const call = api.createType('Call', FINNEY_CALL);
    const args = call.toJSON() as { args: Record<string, unknown> };

    // Act
    const parts = parseTle(hexToU8a(args.args.commit as string));

    // Assess
    expect(call.section).toBe('subtensorModule');
    expect(call.method).toBe('commitTimelockedMechanismWeights');
    expect(args.args).toMatchObject({
      netuid: 7,
      mecid: 0,
      reveal_round: 32340463,
      commit_reveal_version: 4,
    });
    expect(hexToU8a(args.args.commit as string)).toHaveLength(303);
    expect(parts.u).toHaveLength(96);
    expect(parts.v).toHaveLength(32);
    expect(parts.w).toHaveLength(32);
    expect(parts.nonce).toHaveLength(12);
    // WeightsTlockPayload with a 32-byte hotkey and 4 uids: 33 + 9 + 9 + 8 bytes, plus the 16-byte tag
    expect(parts.aesCiphertext).toHaveLength(59 + 16);
    expect(parts.cipherSuite).toBe('AES_GCM_');
  });

  it('serializes its own ciphertexts with the same layout as the finney one', () => {
    // Prepare
    const payload = new Uint8Array(59).fill(1);

    // Act
    const ct = tleEncrypt(payload, 32340463);

    // Assess
    expect(ct).toHaveLength(303);
    expect(Buffer.from(ct.subarray(96, 104)).toString('hex')).toBe('2000000000000000');
    expect(Buffer.from(ct.subarray(ct.length - 16)).toString('hex')).toBe(
      Buffer.from(
        hexToU8a(FINNEY_CALL).subarray(hexToU8a(FINNEY_CALL).length - 26, hexToU8a(FINNEY_CALL).length - 10),
      ).toString('hex'),
    );
  });
});
