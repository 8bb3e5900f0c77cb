import { describe, expect, it } from 'vitest';
import { attemptWindowSeconds } from '../../../lib/pipeline/sync.js';
import { CHALLENGE_QUEUE } from '../../../lib/queue/challenge.js';

describe('attemptWindowSeconds: how long a round may start attempts for one miner', () => {
  it('ends one worker timeout before the next round is due at the reference cadence', () => {
    // Prepare: 360 blocks (72 min) between rounds, a 4 h round timeout
    const options = { pogIntervalBlocks: 360, roundTimeoutSeconds: 4 * 3600 };
    // Act
    const window = attemptWindowSeconds(options, 0);
    // Assess: 4320 s between rounds less the last attempt's worker timeout
    expect(window).toBe(4320 - CHALLENGE_QUEUE.workerTimeoutSeconds);
  });

  it('is the round timeout past the jitter when that comes first', () => {
    // Prepare
    const options = { pogIntervalBlocks: 360, roundTimeoutSeconds: 1800 };
    // Act
    const window = attemptWindowSeconds(options, 600);
    // Assess
    expect(window).toBe(600 + 1800);
  });

  it('still leaves a delayed miner one whole attempt when rounds are very close together', () => {
    // Prepare: 10 blocks between rounds, the message delayed 900 s by the jitter
    const options = { pogIntervalBlocks: 10, roundTimeoutSeconds: 3600 };
    // Act
    const window = attemptWindowSeconds(options, 900);
    // Assess
    expect(window).toBe(900 + CHALLENGE_QUEUE.workerTimeoutSeconds);
  });
});
