import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
