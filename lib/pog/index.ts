import type { PerformanceConfig } from '../config/gpu-performance.js';
import type { PogRunner } from '../ports.js';

/** Options of the production PoG runner. The PoG issue (#5) may add optional fields, never required ones. */
export interface PogRunnerOptions {
  readonly performance: PerformanceConfig;
  /** The validator hotkey (mnemonic, hex seed or URI): signs the dendrite requests. */
  readonly hotkeySecret: string;
}

/**
 * Builds the production PoG runner. `run` resolves with an outcome for every miner fault (a failure
 * row) and rejects only for infrastructure faults, so the Batch job can exit non-zero and be retried.
 * Contract only until the PoG issue (#5) lands.
 */
export function createPogRunner(_options: PogRunnerOptions): PogRunner {
  throw new Error('the PoG engine is not built yet (issue #5)');
}
