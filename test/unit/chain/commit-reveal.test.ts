import { describe, expect, it } from 'vitest';
import {
  asChainRateLimit,
  COMMIT_REVEAL_VERSION,
  CommitRevealVersionError,
  checkCommitRevealVersion,
  DispatchError,
  PoolRejectedError,
  QUICKNET,
  RateLimitedError,
  revealRound,
  revealWindow,
} from '../../../lib/chain/index.js';

describe('commit-reveal version and reveal timing', () => {
  it('refuses a CommitRevealWeightsVersion other than the implemented 4, naming both', () => {
    // Prepare
    const bumped = 5;

    // Act
    const refusal = (() => {
      try {
        checkCommitRevealVersion(bumped);
        return null;
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(refusal).toBeInstanceOf(CommitRevealVersionError);
    expect(String(refusal)).toMatch(/CommitRevealWeightsVersion is 5/);
    expect(String(refusal)).toMatch(/implements version 4/);
    expect(() => checkCommitRevealVersion(COMMIT_REVEAL_VERSION)).not.toThrow();
    // a runtime without the storage (CRv3, spec 293) passes: its call takes no version
    expect(() => checkCommitRevealVersion(null)).not.toThrow();
  });

  it('places the reveal on the legacy grid for runtimes without an epoch counter (spec 293)', () => {
    // Prepare: tempo 3 → epochs of 4 blocks; block 2 on netuid 1 is in epoch 1
    const input = { block: 2, netuid: 1, tempo: 3, revealPeriodEpochs: 2 };

    // Act
    const window = revealWindow(input);

    // Assess: the spec-293 runtime revealed such a commit in block 9 (observed under chopsticks)
    expect(window).toEqual({ commitEpoch: 1, firstBlock: 9, lastBlock: 12 });
  });

  it('follows the runtime’s own epoch counter where it has one, not the grid', () => {
    // Prepare: the stateful clock says epoch 40 and the next epoch starts at block 1000, off the grid
    const base = { block: 900, netuid: 27, tempo: 360, revealPeriodEpochs: 1, nowSeconds: 1_800_000_000 };
    const clock = { kind: 'stateful' as const, epochIndex: 40, nextEpochStartBlock: 1000 };

    // Act
    const window = revealWindow({ ...base, clock });
    const round = revealRound({ ...base, clock });
    const legacyRound = revealRound(base);

    // Assess
    expect(window).toEqual({ commitEpoch: 40, firstBlock: 1000, lastBlock: 1360 });
    const expected = Math.floor((1_800_000_000 + (1000 + 3 - 900) * 12 - QUICKNET.genesisTime) / 3);
    expect(round).toBe(expected);
    expect(round).not.toBe(legacyRound);
  });
});

describe('the chain’s own rate-limit answers', () => {
  it('maps SettingWeightsTooFast, CommittingWeightsTooFast and pool Custom(6) to a chain-sourced RateLimitedError', () => {
    // Prepare
    const set = new DispatchError('x', 'subtensorModule', 'SettingWeightsTooFast');
    const commit = new DispatchError('x', 'subtensorModule', 'CommittingWeightsTooFast');
    const pool = new PoolRejectedError('x', 6, 'SettingWeightsTooFast');
    const other = new DispatchError('x', 'subtensorModule', 'IncorrectWeightVersionKey');
    const stake = new PoolRejectedError('x', 1, 'NotEnoughStakeToSetWeights');

    // Act
    const mapped = [set, commit, pool].map((e) => asChainRateLimit(e, 1234));

    // Assess
    for (const [i, m] of mapped.entries()) {
      expect(m).toBeInstanceOf(RateLimitedError);
      expect(m).toMatchObject({ source: 'chain', nextAllowedBlock: 1234 });
      expect(m?.cause).toBe([set, commit, pool][i]);
    }
    expect(asChainRateLimit(other, 1)).toBeNull();
    expect(asChainRateLimit(stake, 1)).toBeNull();
  });
});
