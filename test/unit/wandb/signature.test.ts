import { createHash } from 'node:crypto';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aToHex, u8aWrapBytes } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSigningDigest, signRunId, verifyRunSignature } from '../../../lib/wandb/signature.js';

let alice: KeyringPair;
let bob: KeyringPair;
let edAlice: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  bob = new Keyring({ type: 'sr25519' }).addFromUri('//Bob');
  edAlice = new Keyring({ type: 'ed25519' }).addFromUri('//Alice');
});

describe('Function: runSigningDigest()', () => {
  it('is sha256 of the run id text', () => {
    // Act / Assess
    expect(Buffer.from(runSigningDigest('0djlnjjs')).toString('hex')).toBe(
      createHash('sha256').update('0djlnjjs').digest('hex'),
    );
  });
});

describe('Function: verifyRunSignature()', () => {
  it('accepts our own signature and rejects it for another run id or another hotkey', () => {
    // Prepare
    const signature = signRunId(alice, 'abcd1234');
    // Act / Assess
    expect(signature).toMatch(/^[0-9a-f]{128}$/);
    expect(verifyRunSignature('abcd1234', alice.address, signature)).toBe(true);
    expect(verifyRunSignature('abcd1235', alice.address, signature)).toBe(false);
    expect(verifyRunSignature('abcd1234', bob.address, signature)).toBe(false);
  });

  it('accepts a signature over the <Bytes>-wrapped digest, as substrate keypairs do', () => {
    // Prepare
    const signature = u8aToHex(alice.sign(u8aWrapBytes(runSigningDigest('run1'))), -1, false);
    // Act / Assess
    expect(verifyRunSignature('run1', alice.address, signature)).toBe(true);
  });

  it('rejects 0x-prefixed hex, missing fields, bad hex, hex public keys and ed25519 signatures', () => {
    // Prepare
    const good = signRunId(alice, 'run1');
    // Act / Assess
    expect(verifyRunSignature('run1', alice.address, `0x${good}`)).toBe(false);
    expect(verifyRunSignature('run1', undefined, good)).toBe(false);
    expect(verifyRunSignature('run1', alice.address, undefined)).toBe(false);
    expect(verifyRunSignature('run1', alice.address, good.slice(2))).toBe(false);
    expect(verifyRunSignature('run1', 'not-an-address', good)).toBe(false);
    expect(verifyRunSignature('run1', u8aToHex(alice.publicKey), good)).toBe(false);
    expect(verifyRunSignature('run1', edAlice.address, signRunId(edAlice, 'run1'))).toBe(false);
  });
});
