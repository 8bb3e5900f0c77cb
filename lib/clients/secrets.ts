import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady, decodeAddress, keyExtractSuri, mnemonicValidate } from '@polkadot/util-crypto';
import { ConfigError } from '../errors.js';

/**
 * Reads a secret's string value, trimmed. The value is returned, never logged; a missing or empty
 * secret fails loudly, naming `envName` (the variable holding the ARN), never the value.
 * @throws {ConfigError} when the secret has no string value.
 */
export async function readSecretString(
  client: SecretsManagerClient,
  secretArn: string,
  what: string,
  envName: string,
): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const value = out.SecretString?.trim();
  if (value === undefined || value === '') throw new ConfigError(`the ${what} secret is empty (${envName})`);
  return value;
}

/** Reads the hotkey seed. The value is returned, never logged; a missing secret fails loudly. */
export async function readHotkeySecret(client: SecretsManagerClient, secretArn: string): Promise<string> {
  return readSecretString(client, secretArn, 'hotkey', 'HOTKEY_SECRET_ARN');
}

/** Reads the W&B API key (only when W&B is enabled). */
export async function readWandbApiKey(client: SecretsManagerClient, secretArn: string): Promise<string> {
  return readSecretString(client, secretArn, 'W&B API key', 'WANDB_API_KEY_SECRET_ARN');
}

const HEX_SEED = /^0x[0-9a-fA-F]{64}$/;

/**
 * The one parser of the validator hotkey secret (issue 10/12): a BIP-39 mnemonic, a `0x` hex 32-byte
 * seed, or a derivation URI (`//Alice`, `<mnemonic>//path`, `<seed>/path///password`). Anything else,
 * e.g. `changeme`, is refused: @polkadot/keyring would otherwise turn any short string into a raw
 * seed. When `expectedAddress` (the configured validator hotkey, ss58) is given, the derived address
 * must equal it. Errors name the accepted forms, never the value. Needs `cryptoWaitReady()` first.
 * @throws {ConfigError} on any other secret, or an address mismatch.
 */
export function parseHotkeySecret(secret: string, expectedAddress?: string): KeyringPair {
  const suri = secret.trim();
  let phrase = '';
  if (!suri.startsWith('/')) {
    try {
      phrase = keyExtractSuri(suri).phrase;
    } catch {
      throw new ConfigError(HOTKEY_FORMS);
    }
    if (!HEX_SEED.test(phrase) && !mnemonicValidate(phrase)) throw new ConfigError(HOTKEY_FORMS);
  }
  let pair: KeyringPair;
  try {
    pair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(suri);
  } catch {
    throw new ConfigError(HOTKEY_FORMS);
  }
  if (expectedAddress !== undefined && !sameAddress(pair.address, expectedAddress)) {
    throw new ConfigError(
      `the hotkey secret derives ${pair.address}, not the configured validator hotkey ${expectedAddress}`,
    );
  }
  return pair;
}

/** {@link parseHotkeySecret} once the sr25519 WASM is ready. */
export async function loadHotkeyPair(secret: string, expectedAddress?: string): Promise<KeyringPair> {
  await cryptoWaitReady();
  return parseHotkeySecret(secret, expectedAddress);
}

const HOTKEY_FORMS =
  'the hotkey secret is not a mnemonic, a 0x-hex 32-byte seed or a derivation URI (HOTKEY_SECRET_ARN)';

/** ss58 addresses of one key under different prefixes are the same key. */
function sameAddress(a: string, b: string): boolean {
  try {
    return Buffer.from(decodeAddress(a)).equals(Buffer.from(decodeAddress(b)));
  } catch {
    return false;
  }
}
