import { loadHotkeyPair } from '../clients/secrets.js';
import type { RunSigner } from './signature.js';

/**
 * Our hotkey as a run signer (sr25519, ss58 prefix 42 as on Bittensor), from the secret the chain
 * port reads too: a mnemonic, a `0x` hex seed or a URI. The secret never appears in an error.
 * @throws {ConfigError} when the secret is not a key `@polkadot/keyring` understands.
 */
export async function hotkeySigner(secret: string, expectedAddress?: string): Promise<RunSigner> {
  return loadHotkeyPair(secret, expectedAddress);
}
