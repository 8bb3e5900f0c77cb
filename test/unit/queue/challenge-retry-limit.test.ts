import { describe, expect, it } from 'vitest';
import { DEFAULT_PERFORMANCE_CONFIG } from '../../../lib/config/gpu-performance.js';
import {
  CHALLENGE_QUEUE,
  INFRASTRUCTURE_RETRIES,
  MAX_POG_RETRY_LIMIT,
  workerRetryLimit,
} from '../../../lib/queue/challenge.js';
import { type LogLevel, logTo } from '../../helpers/log.js';

describe('Function: workerRetryLimit()', () => {
  const recorder = () => {
    const lines: { level: LogLevel; message: string; fields: unknown }[] = [];
    return { lines, log: logTo((level, message, fields) => lines.push({ level, message, fields })) };
  };

  it('uses the live pog_retry_limit as it is up to the deploy-time maximum, silently', () => {
    // Prepare
    const { lines, log } = recorder();
    // Act
    const limits = [1, DEFAULT_PERFORMANCE_CONFIG.merkle_proof.pog_retry_limit, MAX_POG_RETRY_LIMIT].map(
      (l) => workerRetryLimit(l, log),
    );
    // Assess
    expect(limits).toEqual([1, 22, MAX_POG_RETRY_LIMIT]);
    expect(lines).toEqual([]);
  });

  it('cuts a larger limit to the maximum with a warning, so SQS never dead-letters a miner before its failure row', () => {
    // Prepare: an operator set the reference compute config's 30 plus some
    const { lines, log } = recorder();
    // Act
    const limit = workerRetryLimit(40, log);
    // Assess
    expect(limit).toBe(MAX_POG_RETRY_LIMIT);
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'pog_retry_limit above what the challenge queue allows, using the maximum',
        fields: {
          configured: 40,
          used: MAX_POG_RETRY_LIMIT,
          maxReceiveCount: CHALLENGE_QUEUE.maxReceiveCount,
        },
      },
    ]);
  });

  it("leaves the queue's receives room for every allowed attempt plus our own faults", () => {
    // Prepare / Act
    const minerAttempts = CHALLENGE_QUEUE.maxReceiveCount - INFRASTRUCTURE_RETRIES;
    // Assess
    expect(minerAttempts).toBeGreaterThanOrEqual(workerRetryLimit(Number.MAX_SAFE_INTEGER));
    expect(MAX_POG_RETRY_LIMIT).toBeGreaterThanOrEqual(
      DEFAULT_PERFORMANCE_CONFIG.merkle_proof.pog_retry_limit,
    );
  });
});
