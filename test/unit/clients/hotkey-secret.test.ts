import { cryptoWaitReady } from '@polkadot/util-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { hotkeyPair } from '../../../lib/chain/port.js';
import { loadHotkeyPair, parseHotkeySecret } from '../../../lib/clients/secrets.js';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import { ConfigError } from '../../../lib/errors.js';
import { createPogRunner } from '../../../lib/pog/index.js';
import { hotkeySigner } from '../../../lib/wandb/signer.js';

const MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const SEED = `0x${'e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a'}`;

describe('parseHotkeySecret: one parser for the validator hotkey (issues 10, 12)', () => {
  beforeAll(async () => {
    await cryptoWaitReady();
  });

  it.each([
    ['a mnemonic', MNEMONIC],
    ['a mnemonic with surrounding whitespace', `  ${MNEMONIC}\n`],
    ['a 0x-hex 32-byte seed', SEED],
    ['a derivation URI', '//Alice'],
    ['a mnemonic with a derivation path', `${MNEMONIC}//hotkey/0`],
    ['a seed with a path and password', `${SEED}//x///pw`],
  ])('accepts %s', (_, secret) => {
    // Prepare / Act
    const pair = parseHotkeySecret(secret);
    // Assess
    expect(pair.address).toMatch(/^5[1-9A-HJ-NP-Za-km-z]{47}$/);
  });

  it.each([
    ['changeme', 'changeme'],
    ['a short raw string', 'hunter2'],
    ['32 ASCII characters', 'a'.repeat(32)],
    ['a mnemonic with a bad checksum', `${MNEMONIC.replace(/walk$/, 'bottom')}`],
    ['hex of the wrong length', '0xdeadbeef'],
    ['hex without 0x', SEED.slice(2)],
    ['an empty string', '   '],
    ['a bad word with a path', 'changeme//Alice'],
  ])('refuses %s with a clear error that does not echo it', (_, secret) => {
    // Prepare / Act
    let error: unknown;
    try {
      parseHotkeySecret(secret);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/not a mnemonic, a 0x-hex 32-byte seed or a derivation URI/);
    if (secret.trim() !== '') expect((error as Error).message).not.toContain(secret.trim());
  });

  it('requires the derived address to equal the configured validator hotkey', () => {
    // Prepare / Act / Assess
    expect(parseHotkeySecret('//Alice', ALICE).address).toBe(ALICE);
    expect(() => parseHotkeySecret('//Bob', ALICE)).toThrow(
      /derives 5\w+, not the configured validator hotkey/,
    );
  });

  it('every consumer refuses changeme: chain port, W&B signer, PoG runner', async () => {
    // Prepare
    const runner = createPogRunner({ performance: DEFAULT_PERFORMANCE_CONFIG, hotkeySecret: 'changeme' });
    // Act / Assess
    expect(() => hotkeyPair('changeme')).toThrow(ConfigError);
    await expect(hotkeySigner('changeme')).rejects.toBeInstanceOf(ConfigError);
    await expect(hotkeySigner('//Bob', ALICE)).rejects.toBeInstanceOf(ConfigError);
    await expect(loadHotkeyPair('changeme')).rejects.toBeInstanceOf(ConfigError);
    await expect(
      runner.run({
        netuid: 27,
        roundId: 'r',
        uid: 1,
        hotkey: ALICE,
        axon: { ip: '8.8.8.8', port: 9, version: 0 },
      }),
    ).rejects.toMatchObject({
      name: 'PogInfrastructureError',
      message: 'the validator hotkey secret is unusable',
    });
  });
});
