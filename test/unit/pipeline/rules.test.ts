import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadEnv, SyncEnvSchema, WeightsEnvSchema, WorkerEnvSchema } from '../../../lib/config/env.js';
import { ConfigError, ValidationError } from '../../../lib/errors.js';
import { roundRunning } from '../../../lib/pipeline/sync.js';
import { weightsAllowed } from '../../../lib/pipeline/weights.js';
import { decodeChallenge } from '../../../lib/queue/challenge.js';

describe('Function: weightsAllowed()', () => {
  it('allows a first set, then only after more than the rate limit (§3.5)', () => {
    // Prepare / Act / Assess
    expect(weightsAllowed(50, 0, 100)).toBe(true);
    expect(weightsAllowed(1_100, 1_000, 100)).toBe(false);
    expect(weightsAllowed(1_101, 1_000, 100)).toBe(true);
  });

  it('never allows two sets closer than the rate limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 0, max: 1e4 }),
        fc.integer({ min: 0, max: 1e4 }),
        (last, limit, gap) => {
          // Act / Assess
          if (weightsAllowed(last + gap, last, limit)) expect(gap).toBeGreaterThan(limit);
        },
      ),
    );
  });
});

describe('Function: roundRunning()', () => {
  const state = { roundId: 'r', startBlock: 0, nextRoundBlock: 360, expected: 3, done: 1, deadline: 1_000 };
  it('is running while results are outstanding and the deadline has not passed', () => {
    // Prepare / Act / Assess
    expect(roundRunning(null, 0)).toBe(false);
    expect(roundRunning(state, 999)).toBe(true);
    expect(roundRunning(state, 1_000)).toBe(false);
    expect(roundRunning({ ...state, done: 3 }, 10)).toBe(false);
  });
});

describe('Function: decodeChallenge()', () => {
  const valid = {
    netuid: 27,
    roundId: 'r',
    uid: 1,
    hotkey: '5X',
    axon: { ip: '1.2.3.4', port: 8091, version: 185 },
  };
  it('accepts a valid challenge and names the bad field of an invalid one', () => {
    // Prepare / Act / Assess
    expect(decodeChallenge(JSON.stringify(valid))).toEqual(valid);
    expect(() => decodeChallenge(JSON.stringify({ ...valid, uid: -1 }))).toThrow(/uid/);
    expect(() => decodeChallenge('nope')).toThrow(ValidationError);
    expect(() => decodeChallenge(JSON.stringify({ ...valid, hotkey: 'x'.repeat(5000) }))).toThrow(
      /exceeds 4096 bytes/,
    );
  });
});

describe('Function: loadEnv()', () => {
  it('fails loudly naming every missing variable', () => {
    // Prepare / Act / Assess
    expect(() => loadEnv(WorkerEnvSchema, {})).toThrow(ConfigError);
    expect(() => loadEnv(WorkerEnvSchema, {})).toThrow(/TABLE_COORDINATION.*JOB_QUEUE.*JOB_DEFINITION/);
  });

  it('applies defaults and parses lists, booleans and numbers', () => {
    // Prepare
    const env = {
      TABLE_POG_RESULTS: 'p',
      TABLE_STATS: 's',
      TABLE_MINERS: 'm',
      TABLE_AUDIT: 'a',
      TABLE_COORDINATION: 'l',
      CHAIN_ENDPOINTS: 'ws://a, ws://b',
      CHALLENGE_QUEUE_URL: 'http://127.0.0.1:4566/123456789012/q',
      VERIFICATION_QUEUE_URL: 'http://127.0.0.1:4566/123456789012/v',
      VERIFIER_JOB_QUEUE: 'arn:aws:batch:us-east-1:123456789012:job-queue/q',
      VERIFIER_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/d:1',
      DEDUPE_IPS: 'true',
      MIN_MINER_VERSION: '185',
      BLACKLIST_HOTKEYS: '',
    };
    // Act
    const out = loadEnv(SyncEnvSchema, env);
    // Assess
    expect(out).toMatchObject({
      NETUID: 27,
      CHAIN_ENDPOINTS: ['ws://a', 'ws://b'],
      DEDUPE_IPS: true,
      MIN_MINER_VERSION: 185,
      BLACKLIST_HOTKEYS: [],
      POG_INTERVAL_BLOCKS: 360,
      POG_MAX_JITTER_SECONDS: 900,
    });
  });

  it('rejects a weight mode other than scores or burn (D8)', () => {
    // Prepare / Act / Assess
    expect(() =>
      loadEnv(WeightsEnvSchema, {
        TABLE_POG_RESULTS: 'p',
        TABLE_STATS: 's',
        TABLE_MINERS: 'm',
        TABLE_AUDIT: 'a',
        TABLE_COORDINATION: 'l',
        CHAIN_ENDPOINTS: 'ws://a',
        HOTKEY_SECRET_ARN: 'arn',
        WEIGHT_MODE: 'set',
      }),
    ).toThrow(/WEIGHT_MODE/);
  });
});
