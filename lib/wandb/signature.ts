import { createHash } from 'node:crypto';
import { hexToU8a, isHex, u8aToHex, u8aWrapBytes } from '@polkadot/util';
import { decodeAddress, sr25519Verify } from '@polkadot/util-crypto';

/** Signs a message with a hotkey. A `@polkadot/keyring` sr25519 `KeyringPair` fits. */
export interface RunSigner {
  /** The hotkey's ss58 address. */
  readonly address: string;
  /** Keyring pair type; when given it must be `sr25519` (what other validators verify). */
  readonly type?: string;
  sign(message: Uint8Array): Uint8Array;
}

/** What a validator signs (§6.1): the 32-byte SHA-256 digest of the run id's UTF-8 bytes. */
export function runSigningDigest(runId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(runId, 'utf8').digest());
}

/** Signs `sha256(runId)` and returns the hex the reference stores in `config.signature` (no `0x`). */
export function signRunId(signer: RunSigner, runId: string): string {
  return u8aToHex(signer.sign(runSigningDigest(runId)), -1, false);
}

/**
 * Checks a run's signature as the reference's `verify_run` does: sr25519 over `sha256(runId)` by
 * the ss58 `hotkey`, signature as plain hex (Python's `bytes.fromhex`, so no `0x`). Like
 * substrate's `Keypair.verify`, a signature over the `<Bytes>`-wrapped digest is accepted too.
 * Never throws: anything missing or malformed is `false`.
 */
export function verifyRunSignature(runId: string, hotkey: unknown, signature: unknown): boolean {
  if (typeof hotkey !== 'string' || typeof signature !== 'string') return false;
  // decodeAddress also takes a hex public key; the reference only takes ss58.
  if (hotkey.startsWith('0x')) return false;
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) return false;
  const sig = `0x${signature}`;
  if (!isHex(sig)) return false;
  try {
    const publicKey = decodeAddress(hotkey);
    const digest = runSigningDigest(runId);
    const signatureU8a = hexToU8a(sig);
    return (
      sr25519Verify(digest, signatureU8a, publicKey) ||
      sr25519Verify(u8aWrapBytes(digest), signatureU8a, publicKey)
    );
  } catch {
    return false;
  }
}
