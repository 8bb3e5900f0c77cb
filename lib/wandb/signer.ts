import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { ConfigError } from '../errors.js';
import type { RunSigner } from './signature.js';

/**
 * Our hotkey as a run signer (sr25519, ss58 prefix 42 as on Bittensor), from the secret the chain
 * port reads too: a mnemonic, a `0x` hex seed or a URI. The secret never appears in an error.
 * @throws {ConfigError} when the secret is not a key `@polkadot/keyring` understands.
 */
export async function hotkeySigner(secret: string): Promise<RunSigner> {
  await cryptoWaitReady();
  try {
    return new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(secret.trim());
  } catch {
    throw new ConfigError('the hotkey secret is not a mnemonic, hex seed or URI (HOTKEY_SECRET_ARN)');
  }
}
