import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRunConfig, encodeRunConfig } from '../../../lib/wandb/wire.js';

describe('Function: decodeRunConfig()', () => {
  it('unwraps {value, desc} and drops W&B internal keys', () => {
    // Prepare
    const raw = JSON.stringify({
      _wandb: { value: { cli_version: '0.19.0' }, desc: null },
      wandb_version: 1,
      hotkey: { value: '5Abc', desc: null },
      config: { value: { netuid: 27 }, desc: null },
      plain: 3,
    });
    // Act
    const config = decodeRunConfig(raw);
    // Assess
    expect(config).toEqual({ hotkey: '5Abc', config: { netuid: 27 }, plain: 3 });
  });

  it('rejects a config that is not a JSON object', () => {
    // Act / Assess
    expect(() => decodeRunConfig('[1,2]')).toThrow(TypeError);
    expect(() => decodeRunConfig('{"a":')).toThrow(SyntaxError);
    expect(decodeRunConfig(null)).toEqual({});
  });

  it('round-trips any JSON object through encodeRunConfig', () => {
    const key = fc
      .string({ minLength: 1 })
      .filter((k) => k !== '_wandb' && k !== 'wandb_version' && k !== '__proto__');
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue()), (config) => {
        // Act
        const decoded = decodeRunConfig(encodeRunConfig(config));
        // Assess
        expect(decoded).toEqual(JSON.parse(JSON.stringify(config)));
      }),
    );
  });
});
