import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { parsePogEngineConfig } from '../../../lib/pog/config.js';

describe('parsePogEngineConfig', () => {
  it.each(['retryLimit', 'retryIntervalS'])(
    'refuses %s, naming it: retries belong to the worker (pog_retry_limit/interval), not the engine',
    (key) => {
      // Prepare
      const input = { rowsPerGpu: 4, [key]: 1 };
      // Act
      const parse = () => parsePogEngineConfig(input);
      // Assess
      expect(parse).toThrow(ConfigError);
      expect(parse).toThrow(new RegExp(key));
    },
  );

  it('still accepts the settings the session reads', () => {
    // Prepare / Act
    const config = parsePogEngineConfig({ rowsPerGpu: 4, attemptTimeoutS: 30 });
    // Assess
    expect(config).toMatchObject({ rowsPerGpu: 4, attemptTimeoutS: 30, entriesPerRow: 2 });
  });
});
