import { describe, expect, it } from 'vitest';
import { loadEnv, SyncEnvSchema, WeightsEnvSchema, wandbConfigFromEnv } from '../../../lib/config/env.js';
import { NI_PENALTY_VALIDATOR } from '../../../lib/config/wandb.js';
import { ConfigError } from '../../../lib/errors.js';

const TABLES = {
  TABLE_POG_RESULTS: 'p',
  TABLE_STATS: 's',
  TABLE_MINERS: 'm',
  TABLE_AUDIT: 'a',
  TABLE_COORDINATION: 'l',
  CHAIN_ENDPOINTS: 'ws://127.0.0.1:9944',
};
const WEIGHTS = { ...TABLES, HOTKEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:hk' };
const SYNC = {
  ...TABLES,
  CHALLENGE_QUEUE_URL: 'http://127.0.0.1:5000/123/q',
  VERIFICATION_QUEUE_URL: 'http://127.0.0.1:5000/123/v',
  VERIFIER_JOB_QUEUE: 'arn:aws:batch:us-east-1:1:job-queue/q',
  VERIFIER_JOB_DEFINITION: 'arn:aws:batch:us-east-1:1:job-definition/d:1',
};
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:1:secret:wandb';

describe('Function: wandbConfigFromEnv()', () => {
  it('is disabled by default and keeps the reference defaults', () => {
    // Prepare
    const env = loadEnv(WeightsEnvSchema, WEIGHTS);
    // Act
    const config = wandbConfigFromEnv(env);
    // Assess
    expect(config).toMatchObject({
      enabled: false,
      baseUrl: 'https://api.wandb.ai',
      entity: 'neuralinternet',
      project: 'opencompute',
      trustedPenaltyValidators: [NI_PENALTY_VALIDATOR],
      permitStake: 1e4,
    });
  });

  it('maps every WANDB_* variable onto the wandb config, in the sync and weights environments', () => {
    // Prepare
    const wandb = {
      WANDB_ENABLED: 'true',
      WANDB_API_KEY_SECRET_ARN: KEY_ARN,
      WANDB_BASE_URL: 'http://127.0.0.1:8080',
      WANDB_ALLOW_INSECURE_HTTP: 'true',
      WANDB_ENTITY: 'team',
      WANDB_PROJECT: 'proj',
      WANDB_TRUSTED_PENALTY_VALIDATORS: ' 5Aaa , 5Bbb ,',
      WANDB_PERMIT_STAKE: '500',
      WANDB_TIMEOUT_MS: '2000',
      WANDB_READ_DEADLINE_MS: '9000',
      WANDB_MAX_PAGES: '3',
    };
    // Act
    const fromWeights = wandbConfigFromEnv(loadEnv(WeightsEnvSchema, { ...WEIGHTS, ...wandb }));
    const fromSync = wandbConfigFromEnv(loadEnv(SyncEnvSchema, { ...SYNC, ...wandb }));
    // Assess
    expect(fromWeights).toMatchObject({
      enabled: true,
      baseUrl: 'http://127.0.0.1:8080',
      entity: 'team',
      project: 'proj',
      trustedPenaltyValidators: ['5Aaa', '5Bbb'],
      permitStake: 500,
      timeoutMs: 2000,
      readDeadlineMs: 9000,
      maxPages: 3,
    });
    expect(fromSync).toEqual(fromWeights);
  });

  it('treats blank variables as unset (a blank CDK value falls back to the default)', () => {
    // Prepare
    const env = loadEnv(WeightsEnvSchema, {
      ...WEIGHTS,
      WANDB_ENTITY: '',
      WANDB_TRUSTED_PENALTY_VALIDATORS: '',
    });
    // Act
    const config = wandbConfigFromEnv(env);
    // Assess
    expect(config.entity).toBe('neuralinternet');
    expect(config.trustedPenaltyValidators).toEqual([NI_PENALTY_VALIDATOR]);
  });

  it('refuses WANDB_ENABLED without the API key secret, naming the variable', () => {
    // Prepare / Act / Assess
    expect(() => loadEnv(WeightsEnvSchema, { ...WEIGHTS, WANDB_ENABLED: 'true' })).toThrow(
      /WANDB_API_KEY_SECRET_ARN/,
    );
    expect(() => loadEnv(SyncEnvSchema, { ...SYNC, WANDB_ENABLED: '1' })).toThrow(/WANDB_API_KEY_SECRET_ARN/);
    expect(() => loadEnv(SyncEnvSchema, { ...SYNC, WANDB_ENABLED: 'yes' })).toThrow(/WANDB_ENABLED/);
  });

  it('names the environment variable, not the config key, when a value is out of range', () => {
    // Prepare
    const env = loadEnv(WeightsEnvSchema, {
      ...WEIGHTS,
      WANDB_BASE_URL: 'ftp://example.org',
      WANDB_TIMEOUT_MS: '0',
    });
    // Act
    let error: unknown;
    try {
      wandbConfigFromEnv(env);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/WANDB_BASE_URL/);
    expect(String((error as Error).message)).toMatch(/WANDB_TIMEOUT_MS/);
    expect(String((error as Error).message)).not.toMatch(/wandb\.baseUrl/);
  });
});

describe('WANDB_BASE_URL: https only', () => {
  it('refuses http:// naming WANDB_BASE_URL unless WANDB_ALLOW_INSECURE_HTTP=true', () => {
    // Prepare
    const env = { ...WEIGHTS, WANDB_BASE_URL: 'http://wandb.example.org' };
    // Act
    const refused = () => wandbConfigFromEnv(loadEnv(WeightsEnvSchema, env));
    const allowed = wandbConfigFromEnv(
      loadEnv(WeightsEnvSchema, { ...env, WANDB_ALLOW_INSECURE_HTTP: 'true' }),
    );
    // Assess
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(/WANDB_BASE_URL: must be https/);
    expect(allowed).toMatchObject({ baseUrl: 'http://wandb.example.org', allowInsecureHttp: true });
  });
});
