import { describe, expect, it } from 'vitest';
import {
  ChainTimeoutError,
  hotkeyPair,
  parsePoolRejection,
  QUICKNET,
  redactEndpoint,
  renderIp,
  revealRound,
  withDeadline,
} from '../../../lib/chain/index.js';
import { ConfigError } from '../../../lib/errors.js';

describe('chain port helpers', () => {
  it('renders the chain’s integer IPs as text', () => {
    // Assess
    expect(renderIp(2130706433n, 4)).toBe('127.0.0.1');
    expect(renderIp(167772161n, 4)).toBe('10.0.0.1');
    expect(renderIp(1n, 6)).toBe('::1');
    expect(renderIp(0x20010db8000000000000000000000001n, 6)).toBe('2001:db8::1');
  });

  it('turns RPC 1010 pool rejections into typed errors with the custom code', () => {
    // Prepare
    const rpc = Object.assign(new Error('1010: Invalid Transaction: Custom error: 1'), { code: 1010 });
    const data = Object.assign(new Error('1010: Invalid Transaction'), { data: '{"invalid":{"custom":6}}' });

    // Act
    const a = parsePoolRejection(rpc);
    const b = parsePoolRejection(data);
    const other = parsePoolRejection(new Error('something else'));

    // Assess
    expect(a).toMatchObject({ customCode: 1, reason: 'NotEnoughStakeToSetWeights' });
    expect(b).toMatchObject({ customCode: 6, reason: 'SettingWeightsTooFast' });
    expect(other).toBeNull();
  });

  it('never puts the hotkey secret into an error', () => {
    // Prepare
    const secret = 'bottom drive obey lake curtain smoke basket hold race lonely fit walkx';

    // Act
    let caught: unknown;
    try {
      hotkeyPair(secret);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(ConfigError);
    expect(String((caught as Error).message)).not.toContain('bottom');
    expect((caught as Error).cause).toBeUndefined();
    expect(hotkeyPair('//Alice').address).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
  });

  it('times out a call that never answers with ChainTimeoutError', async () => {
    // Act
    const never = withDeadline(new Promise(() => undefined), 20, 'state_call');

    // Assess
    await expect(never).rejects.toBeInstanceOf(ChainTimeoutError);
    await expect(withDeadline(Promise.resolve(5), 20, 'x')).resolves.toBe(5);
  });

  it('redacts credentials in endpoints', () => {
    // Assess
    expect(redactEndpoint('wss://user:pw@node.example/ws?apikey=abc')).toBe('wss://***@node.example/ws?***');
    expect(redactEndpoint('ws://127.0.0.1:9944')).toBe('ws://127.0.0.1:9944');
  });

  it('computes the drand reveal round with the legacy epoch arithmetic', () => {
    // Prepare: block 1000, netuid 1, tempo 360 → epoch floor(1002/361) = 2, first reveal block 3×361−2 = 1081
    const now = QUICKNET.genesisTime + 3000;

    // Act
    const round = revealRound({ block: 1000, netuid: 1, tempo: 360, revealPeriodEpochs: 1, nowSeconds: now });

    // Assess: (1081 + 3 − 1000) × 12 s = 1008 s after now → (3000 + 1008) / 3
    expect(round).toBe(1336);
  });
});
