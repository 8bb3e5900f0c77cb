import { PogValidatorError } from '../errors.js';
import type { PogOutcome, PogResultSink } from '../ports.js';
import type { LockStore } from './locks.js';

/** A final (verified) PoG result. */
export interface VerifiedOutcome extends PogOutcome {
  readonly verifier: 'gpu' | 'cpu';
  readonly rowsChecked: number;
  readonly entriesChecked: number;
  readonly bundleKey: string;
}

/** Where final results go: at most one per (roundId, hotkey), whatever the deliveries. */
export interface FinalResultStore {
  recordFinal(outcome: VerifiedOutcome): Promise<'recorded' | 'duplicate'>;
}

/** Another delivery is recording the same result right now; the message is retried later. */
export class ResultBusyError extends PogValidatorError {}

const CLAIM_TTL_SECONDS = 24 * 3600;
/** A verifier killed between claim and row leaves an unfinished claim; after this long it is a crash's. */
const CLAIM_STALE_SECONDS = 120;

/**
 * Final results through a conditional claim per (roundId, hotkey) on the locks table, then the
 * result row: a second delivery of the same bundle, or a later bundle of the same miner and round,
 * finds the claim done and records nothing. A failure between claim and row drops the claim, so the
 * redelivery records it.
 */
export class ClaimedFinalResults implements FinalResultStore {
  constructor(
    private readonly locks: LockStore,
    private readonly sink: PogResultSink,
  ) {}

  async recordFinal(outcome: VerifiedOutcome): Promise<'recorded' | 'duplicate'> {
    const key = `final#${outcome.roundId}#${outcome.hotkey}`;
    const claim = await this.locks.claim(key, CLAIM_TTL_SECONDS, CLAIM_STALE_SECONDS);
    if (claim === 'duplicate') return 'duplicate';
    if (claim === 'busy')
      throw new ResultBusyError(`final result ${key} is being recorded by another delivery`);
    try {
      await this.sink.record(outcome);
    } catch (error) {
      await this.locks.abandon(key);
      throw error;
    }
    await this.locks.complete(key, outcome.bundleKey);
    return 'recorded';
  }
}
