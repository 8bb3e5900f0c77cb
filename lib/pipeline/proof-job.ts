import { asError } from '../errors.js';
import type { PogOutcome, PogResultSink, PogRunner } from '../ports.js';
import { decodeChallenge as parseChallengeBody } from '../queue/challenge.js';

export interface ProofJobDeps {
  readonly runner: PogRunner;
  readonly sink: PogResultSink;
  readonly signal?: AbortSignal;
  /** Receives one line per phase; the entry point passes the Powertools logger. */
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/** Attempts Batch gives a proof job that exits non-zero (the job definition's retry strategy). */
export const PROOF_JOB_ATTEMPTS = 3;

/** Exit codes of the Batch job: Batch retries a non-zero exit (the job definition's retry strategy). */
export const ProofJobExit = {
  /** The outcome was recorded, success or miner fault alike. */
  Recorded: 0,
  /** The challenge itself is invalid: retrying cannot help, so Batch must not retry it. */
  InvalidChallenge: 2,
  /** The runner rejected (an infrastructure fault) or the sink failed: retry. */
  InfrastructureFault: 1,
} as const;

export interface ProofJobResult {
  readonly exitCode: number;
  readonly outcome?: PogOutcome;
  readonly error?: string;
}

/**
 * The Batch job's body: parse the challenge (zod), run the PoG session, record the outcome. Miner
 * faults come back as failure outcomes and are recorded (exit 0); only a runner rejection or a sink
 * failure gives a non-zero exit, so Batch retries infrastructure faults and nothing else.
 */
export async function runProofJob(deps: ProofJobDeps, challengeJson: string): Promise<ProofJobResult> {
  let challenge: ReturnType<typeof parseChallengeBody>;
  try {
    challenge = parseChallengeBody(challengeJson);
  } catch (error) {
    const message = asError(error).message;
    deps.log?.('invalid challenge', { error: message });
    return { exitCode: ProofJobExit.InvalidChallenge, error: message };
  }
  let outcome: PogOutcome;
  try {
    outcome = await deps.runner.run(challenge, deps.signal);
  } catch (error) {
    const message = asError(error).message;
    deps.log?.('runner failed', { hotkey: challenge.hotkey, uid: challenge.uid, error: message });
    return { exitCode: ProofJobExit.InfrastructureFault, error: message };
  }
  try {
    await deps.sink.record(outcome);
  } catch (error) {
    const message = asError(error).message;
    deps.log?.('sink failed', { hotkey: challenge.hotkey, uid: challenge.uid, error: message });
    return { exitCode: ProofJobExit.InfrastructureFault, outcome, error: message };
  }
  deps.log?.('proof job finished', {
    hotkey: outcome.hotkey,
    uid: outcome.uid,
    roundId: outcome.roundId,
    outcome: outcome.gpuName !== null && outcome.numGpus !== null ? 'success' : 'failure',
    attempts: outcome.attempts,
    durationMs: outcome.durationMs,
  });
  return { exitCode: ProofJobExit.Recorded, outcome };
}
