import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { signRunId, verifyRunSignature } from '../../../lib/wandb/signature.js';
import { hotkeySigner } from '../../../lib/wandb/signer.js';

const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

describe('Function: hotkeySigner()', () => {
  it('turns the hotkey secret into an sr25519 signer whose run signatures verify', async () => {
    // Prepare
    const signer = await hotkeySigner('  //Alice\n');
    // Act
    const signature = signRunId(signer, 'abc12345');
    // Assess
    expect(signer.address).toBe(ALICE);
    expect(signer.type).toBe('sr25519');
    expect(verifyRunSignature('abc12345', ALICE, signature)).toBe(true);
    expect(verifyRunSignature('other123', ALICE, signature)).toBe(false);
  });

  it('fails with a ConfigError that does not echo the secret', async () => {
    // Prepare
    // twelve words: read as a mnemonic, whose checksum fails
    const secret = Array.from({ length: 12 }, () => 'zebra').join(' ');
    // Act
    const error = await hotkeySigner(secret).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).not.toContain(secret);
  });
});
