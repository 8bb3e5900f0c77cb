import type { PogOutcome } from '../ports.js';
import type { PogOutcomeStore } from './pog-results.js';

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

/**
 * The verifier's side of {@link PogOutcomeStore}: its conditional transaction makes the row final
 * once per (round, hotkey), so a redelivered message or a second verifier records nothing more.
 */
export function finalResultsOf(store: PogOutcomeStore): FinalResultStore {
  return {
    recordFinal(outcome) {
      const detail = {
        verifier: outcome.verifier,
        rowsChecked: outcome.rowsChecked,
        entriesChecked: outcome.entriesChecked,
      };
      const base = {
        hotkey: outcome.hotkey,
        uid: outcome.uid,
        roundId: outcome.roundId,
        attempts: outcome.attempts,
        durationMs: outcome.durationMs,
      };
      if (outcome.gpuName !== null && outcome.numGpus !== null && outcome.error === undefined) {
        return store.recordVerified({ ...base, gpuName: outcome.gpuName, numGpus: outcome.numGpus }, detail);
      }
      return store.recordFailure({ ...base, error: outcome.error ?? 'verification failed' }, detail);
    },
  };
}
