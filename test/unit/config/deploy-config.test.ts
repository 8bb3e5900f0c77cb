import { describe, expect, it } from 'vitest';
import { deployConfigFromContext, parseDeployConfig } from '../../../infra/config.js';
import { ConfigError } from '../../../lib/errors.js';

// what `-c key=value` hands to infra/app.ts: always a string
const BASE = { chainEndpoints: 'wss://a.example:443' };
const parse = (extra: Record<string, unknown>) => parseDeployConfig({ ...BASE, ...extra });

describe('deployment context: boolean keys', () => {
  it.each(['dedupeIps', 'wandbEnabled', 'wandbAllowInsecureHttp'] as const)(
    '%s reads -c KEY=false as false, -c KEY=true as true, and defaults to false',
    (key) => {
      // Act
      const off = parse({ [key]: 'false' });
      const on = parse({ [key]: 'true' });
      const spaced = parse({ [key]: ' TRUE ' });
      const fromJson = parse({ [key]: true });
      const unset = parse({});
      // Assess
      expect(off[key]).toBe(false);
      expect(on[key]).toBe(true);
      expect(spaced[key]).toBe(true);
      expect(fromJson[key]).toBe(true);
      expect(unset[key]).toBe(false);
    },
  );

  it.each(['dedupeIps', 'wandbEnabled', 'wandbAllowInsecureHttp'])(
    '%s refuses anything but true/false, naming the key',
    (key) => {
      // Act / Assess
      for (const bad of ['yes', '0', 'off', '']) {
        expect(() => parse({ [key]: bad })).toThrow(ConfigError);
        expect(() => parse({ [key]: bad })).toThrow(new RegExp(`${key}: must be 'true' or 'false'`));
      }
    },
  );
});

describe('deployment context: list keys', () => {
  it.each([
    [
      'chainEndpoints',
      'wss://a.example:443, wss://b.example:443,',
      ['wss://a.example:443', 'wss://b.example:443'],
    ],
    ['blacklistHotkeys', ' 5Aaa ,,5Bbb, ', ['5Aaa', '5Bbb']],
    ['blacklistColdkeys', '5Ccc,', ['5Ccc']],
    ['verifierInstanceTypes', 'g5.xlarge, g6.xlarge', ['g5.xlarge', 'g6.xlarge']],
    ['wandbTrustedPenaltyValidators', '5Ddd , 5Eee', ['5Ddd', '5Eee']],
  ] as const)('%s splits a comma list, trims items and drops empty ones', (key, raw, expected) => {
    // Act
    const fromString = parse({ [key]: raw });
    const fromArray = parse({ [key]: [...expected, ' '] });
    // Assess
    expect(fromString[key]).toEqual(expected);
    expect(fromArray[key]).toEqual(expected);
  });

  it.each([
    ['blacklistHotkeys', []],
    ['blacklistColdkeys', []],
    ['wandbTrustedPenaltyValidators', []],
  ] as const)('%s: an empty value is an empty list, and unset keeps the default', (key, fallback) => {
    // Act
    const empty = parse({ [key]: '' });
    const unset = parse({});
    // Assess
    expect(empty[key]).toEqual([]);
    expect(unset[key]).toEqual(fallback);
  });

  it('refuses an empty chainEndpoints or verifierInstanceTypes list (a lone comma is no item), and defaults the types', () => {
    // Act / Assess
    expect(() => parseDeployConfig({ chainEndpoints: ' , ' })).toThrow(/chainEndpoints/);
    expect(() => parse({ verifierInstanceTypes: ',' })).toThrow(/verifierInstanceTypes: needs at least one/);
    expect(parse({}).verifierInstanceTypes).toEqual(['g4dn.xlarge']);
  });
});

describe('deployment context: wandbBaseUrl', () => {
  it('is https only unless wandbAllowInsecureHttp=true', () => {
    // Act
    const refused = () => parse({ wandbBaseUrl: 'http://wandb.example.org' });
    const local = parse({ wandbBaseUrl: 'http://127.0.0.1:8080', wandbAllowInsecureHttp: 'true' });
    // Assess
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(/wandbBaseUrl: must be https/);
    expect(local.wandbBaseUrl).toBe('http://127.0.0.1:8080');
    expect(parse({ wandbBaseUrl: 'https://wandb.example.org' }).wandbBaseUrl).toBe(
      'https://wandb.example.org',
    );
  });
});

describe('deployConfigFromContext', () => {
  it('takes the chain endpoints from the context, then CHAIN_ENDPOINTS, then the public Finney entrypoint', () => {
    // Prepare
    const context = (values: Record<string, unknown>) => (key: string) => values[key];
    const env = { CHAIN_ENDPOINTS: 'wss://env.example:443' };
    // Act
    const fromContext = deployConfigFromContext(context({ chainEndpoints: 'wss://ctx.example:443' }), env);
    const fromEnv = deployConfigFromContext(context({}), env);
    const fallback = deployConfigFromContext(context({}));
    // Assess
    expect(fromContext.chainEndpoints).toEqual(['wss://ctx.example:443']);
    expect(fromEnv.chainEndpoints).toEqual(['wss://env.example:443']);
    expect(fallback.chainEndpoints).toEqual(['wss://entrypoint-finney.opentensor.ai:443']);
  });

  it('reads every setting the schema has, and names a bad one', () => {
    // Act
    const config = deployConfigFromContext((key) =>
      key === 'workerMemoryMb' ? '512' : key === 'rowCheck' ? 'enforce' : undefined,
    );
    // Assess
    expect(config).toMatchObject({ workerMemoryMb: 512, rowCheck: 'enforce', netuid: 27 });
    expect(() => deployConfigFromContext((key) => (key === 'workerMemoryMb' ? '100' : undefined))).toThrow(
      /workerMemoryMb/,
    );
  });
});
