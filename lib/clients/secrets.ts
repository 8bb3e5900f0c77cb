import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../errors.js';

/** Reads the hotkey seed. The value is returned, never logged; a missing secret fails loudly. */
export async function readHotkeySecret(client: SecretsManagerClient, secretArn: string): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const value = out.SecretString?.trim();
  if (value === undefined || value === '')
    throw new ConfigError('the hotkey secret is empty (HOTKEY_SECRET_ARN)');
  return value;
}
