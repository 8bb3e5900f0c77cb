import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { NI_PENALTY_VALIDATOR, parseWandbConfig } from '../../../lib/config/wandb.js';
import { ConfigError } from '../../../lib/errors.js';
import type { Log } from '../../../lib/log.js';
import type { WandbMetrics } from '../../../lib/wandb/observability.js';
import { createWandbState } from '../../../lib/wandb/state.js';

describe('Function: parseWandbConfig()', () => {
  it('defaults to the reference project, penalty validator and permit stake', () => {
    // Act
    const config = parseWandbConfig(undefined);
    // Assess
    expect(config).toMatchObject({
      enabled: true,
      baseUrl: 'https://api.wandb.ai',
      entity: 'neuralinternet',
      project: 'opencompute',
      trustedPenaltyValidators: [NI_PENALTY_VALIDATOR],
      permitStake: 1e4,
      version: 190,
    });
  });

  it('names every bad key and rejects unknown keys', () => {
    // Act
    const act = () => parseWandbConfig({ timeoutMs: -1, baseUrl: 'ftp://x', permitStak: 3 });
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/wandb\.timeoutMs/);
    expect(act).toThrow(/wandb\.baseUrl/);
    expect(act).toThrow(/permitStak/);
  });
});

describe('W&B base URL: https only', () => {
  it('refuses an http:// baseUrl unless the local-testing switch is on', () => {
    // Act
    const refused = () => parseWandbConfig({ baseUrl: 'http://api.wandb.ai' });
    const local = parseWandbConfig({ baseUrl: 'http://127.0.0.1:8080', allowInsecureHttp: true });
    // Assess
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(/wandb\.baseUrl: must be https/);
    expect(local.baseUrl).toBe('http://127.0.0.1:8080');
    expect(parseWandbConfig({ baseUrl: 'https://wandb.example.org' }).baseUrl).toBe(
      'https://wandb.example.org',
    );
  });
});

describe('Function: createWandbState()', () => {
  it('fails loudly at construction when enabled without an API key', () => {
    // Act / Assess
    expect(() => createWandbState({ config: parseWandbConfig({}) })).toThrow(/API key/);
    expect(() => createWandbState({ config: parseWandbConfig({ enabled: false }) })).not.toThrow();
  });

  it('takes a Powertools Logger and Metrics as its logger and metrics', () => {
    // Assess (compile-time)
    expectTypeOf<Logger>().toExtend<Log>();
    expectTypeOf<Metrics>().toExtend<WandbMetrics>();
  });
});
