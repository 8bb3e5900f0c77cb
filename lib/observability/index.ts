import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const SERVICE_NAME = 'pog-validator';
export const METRICS_NAMESPACE = 'PogValidator';

/** One logger per function, with the service name set once. */
export function createLogger(functionName: string): Logger {
  return new Logger({ serviceName: SERVICE_NAME, persistentKeys: { component: functionName } });
}

export function createMetrics(functionName: string): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
    defaultDimensions: { component: functionName },
  });
}

/** Metric names the alarms (infra) and the code share. */
export const MetricName = {
  SyncErrors: 'SyncErrors',
  VersionFilterSkipped: 'VersionFilterSkipped',
  ChallengesEnqueued: 'ChallengesEnqueued',
  JobsSubmitted: 'JobsSubmitted',
  BundlesQueued: 'BundlesQueued',
  /** Challenge bodies the worker refused (not a challenge, a non-public address) and dead-lettered. */
  ChallengesRefused: 'ChallengesRefused',
  /**
   * Per PoG attempt, the seconds the worker waited on the miner: the cost model's miner time per attempt
   * (`cli cost --miner-seconds`); the worker's Duration minus it is the validator's own time.
   */
  MinerWaitSeconds: 'MinerWaitSeconds',
  WeightSubmissions: 'WeightSubmissions',
  /** One per problem the operator preflight found (sync and weight ticks). */
  PreflightProblems: 'PreflightProblems',
  /** Timelocked commits the chain revealed / never revealed, confirmed by a later weight tick. */
  WeightsRevealed: 'WeightsRevealed',
  WeightsNeverRevealed: 'WeightsNeverRevealed',
  /** A vector refused before signing because it cannot satisfy MinAllowedWeights / MaxWeightsLimit. */
  WeightLimitRefusals: 'WeightLimitRefusals',
  /**
   * A scores-mode tick with no positive score, so nothing was submitted; the NoWeightSubmission alarm is
   * the loud signal, this says why.
   */
  WeightsNothingToSet: 'WeightsNothingToSet',
  VerifierResults: 'VerifierResults',
  VerifierFailures: 'VerifierFailures',
  RowCheckDiscrepancies: 'RowCheckDiscrepancies',
  PoisonBundles: 'PoisonBundles',
  /** A verifier's row checker failed on a bundle and then on its known-honest self-test. */
  RowCheckerFaults: 'RowCheckerFaults',
  /** Verifier jobs the sync started for bundles that waited with no verifier at work. */
  VerifierRestarts: 'VerifierRestarts',
} as const;

export { MetricUnit };
