/**
 * Cost per day of the validator at a given cadence (issue 11): the serverless parts (Lambda sessions,
 * S3, SQS, DynamoDB, fixed monthly items), the GPU verifier on-demand and on Spot, beside today's
 * old design (a GPU instance per PoG session) and an always-on box running the reference validator.
 * Prices are us-east-1 list prices (2025); every other input is either a deploy setting or a named,
 * stated assumption that the cost command prints.
 */

import { SECONDS_PER_BLOCK } from '../ports.js';
import { rowCheckSeconds } from './gpu-estimate.js';

/**
 * The bundle the verifier's estimate prices: 2 GPUs at an H100's n, the engine's default rows per GPU
 * (a test holds it to lib/pog/config.ts: domains do not import each other), its S3 read and result writes.
 */
const BUNDLE_GPUS = 2;
const BUNDLE_N = 29_280;
export const BUNDLE_ROWS_PER_GPU = 17;
const BUNDLE_IO_S = 0.2;

export const PRICES_USD = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6,
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  s3GbMonth: 0.023,
  dynamoWriteRequestUnit: 0.625 / 1e6,
  dynamoReadRequestUnit: 0.125 / 1e6,
  schedulerInvocation: 1.0 / 1e6,
  secretsManagerApiCall: 0.05 / 1e4,
  secretMonth: 0.4,
  kmsKeyMonth: 1.0,
  cloudWatchAlarmMonth: 0.1,
  /** On-demand hourly price per instance type (Linux, us-east-1). */
  onDemandHour: {
    'g4dn.xlarge': 0.526,
    'g4dn.2xlarge': 0.752,
    'g5.xlarge': 1.006,
    'g6.xlarge': 0.805,
  } as Record<string, number>,
  /** An always-on m6i.xlarge (4 vCPU, 16 GiB) for the reference validator (it verifies on the CPU). */
  referenceInstanceHour: 0.192,
  /** 100 GB gp3 for the reference box. */
  referenceDiskMonth: 8,
} as const;

/** The deploy settings the model reads (the cost command passes them from the CDK context). */
export interface CostSettings {
  readonly pogIntervalBlocks: number;
  readonly syncIntervalMinutes: number;
  readonly weightsIntervalMinutes: number;
  readonly verifierInstanceTypes: readonly string[];
  readonly workerMemoryMb: number;
  readonly alarms: number;
  readonly secrets: number;
  readonly kmsKeys: number;
}

/** Stated assumptions: each one is printed by the cost command and can be overridden. */
export const DEFAULT_ASSUMPTIONS = {
  miners: 256,
  /**
   * The miner's own time per attempt, which the worker waits out (allocate, SSH, gpu_info, benchmark, timed
   * compute, proofs, deallocate): a production assumption, until a deployed stack's MinerWaitSeconds
   * metric gives the real figure (`cli cost --miner-seconds`).
   */
  minerSecondsPerAttempt: 88,
  /**
   * The worker's own wall time per attempt (session keys, proof parse and sampled check, bundle, S3, SQS
   * and DynamoDB calls): an estimate from `npm run bench -- worker-memory` (the largest proof's CPU work,
   * 0.4–0.9 core-seconds over two sessions on a shared box; 0.57 of it at 256 MB's share of a vCPU, 256/1 769); `npm run bench -- local`
   * measures it on the emulator.
   */
  workerOwnSecondsPerAttempt: 4,
  attemptsPerMiner: 1.2,
  syncSeconds: 3,
  syncMemoryMb: 512,
  weightsSeconds: 5,
  weightsMemoryMb: 1024,
  /** Weights at the reference cadence: every 101 blocks. */
  weightsEveryBlocks: 101,
  /** g4dn host from request to running ECS agent (Batch scale-up), an estimate. */
  verifierBootMinutes: 4,
  /** Pulling the ~4 GB CUDA PyTorch image onto a fresh host, an estimate. */
  verifierImagePullMinutes: 2,
  /**
   * Seconds per bundle on the GPU, an estimate derived from a T4's published rates (./gpu-estimate.ts, not
   * measured on a card): at n = 29 280 (an H100's), B's n² entries regenerated once per bundle (D13: the
   * attempt's GPUs share B; ~384 bytes of int64 and float64 traffic each, the finaliser's half included),
   * 2·17·n² float64 FMAs per GPU, 2 GPUs per bundle on average and ~0.2 s for the S3 read and the result
   * writes. The count may be pessimistic: the same torch
   * code on the CPU measured +22–32 % per entry for the finaliser (90–109 → 118–133 ns), not ×2. The
   * checker's interpreter and CUDA start once per job (`--serve`).
   */
  verificationSecondsPerBundle:
    Math.round((rowCheckSeconds(BUNDLE_N, BUNDLE_ROWS_PER_GPU, BUNDLE_GPUS) + BUNDLE_IO_S) * 10) / 10,
  /**
   * The verifier's empty polls before it exits, an assumption: one 20 s poll when no session of its round is
   * pending, at least three and up to a start's cost (boot and image pull) while one may hand a bundle over.
   */
  verifierIdleMinutes: 1,
  /**
   * Verifier jobs per round, each paying boot, image pull and idle: one when every bundle of the round is
   * handed over before its job drained, one more per bundle handed over after a drain (a miner that passed
   * on a retry more than a start's cost after the round's last bundle: the job waits that long for one
   * while sessions are pending). The dashboard's JobsSubmitted and VerifierRestarts per round give the real figure
   * (`cli cost --verifier-starts`).
   */
  verifierStartsPerRound: 1,
  /** g4dn.xlarge Spot as a share of on-demand (recent us-east-1 history, an estimate). */
  spotDiscount: 0.4,
  bundleMb: 4,
  bundleRetentionDays: 2,
  sqsRequestsPerAttempt: 8,
  /** Includes the allocation ledger's entry and release (2 writes) and its read (1). */
  dynamoWritesPerAttempt: 8,
  dynamoReadsPerAttempt: 5,
  /** Today's old design: one GPU instance per PoG session, minutes per session. */
  oldDesignGpuMinutesPerSession: 3,
} as const;
export type CostAssumptions = { -readonly [K in keyof typeof DEFAULT_ASSUMPTIONS]: number };

const DAY_SECONDS = 86_400;

export interface CostReport {
  readonly perDayUsd: {
    readonly serverless: number;
    readonly verifierOnDemand: number;
    readonly verifierSpot: number;
    readonly totalOnDemand: number;
    readonly totalSpot: number;
    readonly alwaysOnBox: number;
  };
  readonly assumptions: Readonly<Record<string, number | string>>;
  /** Serverless lines, for the table. */
  readonly lines: ReadonlyArray<{ readonly item: string; readonly perDay: number }>;
  readonly oldDesignGpuPerDay: number;
  readonly verifierMinutesPerRound: number;
}

const lambdaCost = (invocations: number, seconds: number, memoryMb: number) =>
  invocations * (seconds * (memoryMb / 1024) * PRICES_USD.lambdaArmGbSecond + PRICES_USD.lambdaRequest);

/** The model. Pure: settings from the stack, assumptions stated. */
export function costPerDay(settings: CostSettings, overrides: Partial<CostAssumptions> = {}): CostReport {
  const a: CostAssumptions = { ...DEFAULT_ASSUMPTIONS, ...overrides };
  const roundsPerDay = DAY_SECONDS / (settings.pogIntervalBlocks * SECONDS_PER_BLOCK);
  // a worker invocation is billed for its whole wall time: the miner's part and its own
  const workerAttemptSeconds = a.minerSecondsPerAttempt + a.workerOwnSecondsPerAttempt;
  const attemptsPerDay = roundsPerDay * a.miners * a.attemptsPerMiner;
  const bundlesPerDay = roundsPerDay * a.miners;
  const syncsPerDay = (24 * 60) / settings.syncIntervalMinutes;
  const weightRunsPerDay = Math.min(
    (24 * 60) / settings.weightsIntervalMinutes,
    DAY_SECONDS / (a.weightsEveryBlocks * SECONDS_PER_BLOCK),
  );
  const lines = [
    {
      item: 'worker Lambda sessions',
      perDay: lambdaCost(attemptsPerDay, workerAttemptSeconds, settings.workerMemoryMb),
    },
    { item: 'sync Lambda', perDay: lambdaCost(syncsPerDay, a.syncSeconds, a.syncMemoryMb) },
    { item: 'weights Lambda', perDay: lambdaCost(weightRunsPerDay, a.weightsSeconds, a.weightsMemoryMb) },
    {
      item: 'S3 bundles (PUT, GET, storage)',
      perDay:
        bundlesPerDay * (PRICES_USD.s3Put + PRICES_USD.s3Get) +
        ((bundlesPerDay * a.bundleMb) / 1024) * a.bundleRetentionDays * (PRICES_USD.s3GbMonth / 30),
    },
    { item: 'SQS requests', perDay: attemptsPerDay * a.sqsRequestsPerAttempt * PRICES_USD.sqsRequest },
    {
      item: 'DynamoDB requests',
      perDay:
        attemptsPerDay *
        (a.dynamoWritesPerAttempt * PRICES_USD.dynamoWriteRequestUnit +
          a.dynamoReadsPerAttempt * PRICES_USD.dynamoReadRequestUnit),
    },
    { item: 'schedules', perDay: (syncsPerDay + weightRunsPerDay) * PRICES_USD.schedulerInvocation },
    {
      item: `secrets (${settings.secrets}), KMS keys (${settings.kmsKeys}), alarms (${settings.alarms})`,
      perDay:
        (settings.secrets * PRICES_USD.secretMonth +
          settings.kmsKeys * PRICES_USD.kmsKeyMonth +
          settings.alarms * PRICES_USD.cloudWatchAlarmMonth) /
        30,
    },
  ];
  const serverless = lines.reduce((s, l) => s + l.perDay, 0);
  const instance = settings.verifierInstanceTypes[0] ?? 'g4dn.xlarge';
  const hourly = PRICES_USD.onDemandHour[instance];
  if (hourly === undefined) throw new RangeError(`no price for instance type ${instance}`);
  const verifierMinutesPerRound =
    a.verifierStartsPerRound * (a.verifierBootMinutes + a.verifierImagePullMinutes + a.verifierIdleMinutes) +
    (a.miners * a.verificationSecondsPerBundle) / 60;
  const verifierOnDemand = (roundsPerDay * verifierMinutesPerRound * hourly) / 60;
  const verifierSpot = verifierOnDemand * (1 - a.spotDiscount);
  const alwaysOnBox = 24 * PRICES_USD.referenceInstanceHour + PRICES_USD.referenceDiskMonth / 30;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    perDayUsd: {
      serverless: round(serverless),
      verifierOnDemand: round(verifierOnDemand),
      verifierSpot: round(verifierSpot),
      totalOnDemand: round(serverless + verifierOnDemand),
      totalSpot: round(serverless + verifierSpot),
      alwaysOnBox: round(alwaysOnBox),
    },
    assumptions: {
      ...a,
      workerAttemptSeconds,
      pogIntervalBlocks: settings.pogIntervalBlocks,
      syncIntervalMinutes: settings.syncIntervalMinutes,
      weightsIntervalMinutes: settings.weightsIntervalMinutes,
      workerMemoryMb: settings.workerMemoryMb,
      verifierInstanceType: instance,
      verifierOnDemandHourUsd: hourly,
      roundsPerDay: round(roundsPerDay),
    },
    lines,
    oldDesignGpuPerDay: round((roundsPerDay * a.miners * a.oldDesignGpuMinutesPerSession * hourly) / 60),
    verifierMinutesPerRound: round(verifierMinutesPerRound),
  };
}
