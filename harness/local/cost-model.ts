/**
 * Cost per day of the serverless validator at the reference cadence, from counted requests and measured
 * durations × published on-demand prices (us-east-1, list prices as published by AWS in 2025; free
 * tiers ignored). GPU minutes are reported separately because they depend on the miners, not on us.
 */
export const PRICES_USD = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6,
  dynamoWriteRequestUnit: 0.625 / 1e6,
  dynamoReadRequestUnit: 0.125 / 1e6,
  schedulerInvocation: 1.0 / 1e6,
  secretsManagerApiCall: 0.05 / 1e4,
  secretMonth: 0.4,
  kmsKeyMonth: 1.0,
  cloudWatchAlarmMonth: 0.1,
  batchRequest: 0,
  /** g4dn.xlarge on-demand, the smallest instance of the default GPU families. */
  gpuInstanceHour: 0.526,
  /** An always-on m6i.xlarge (4 vCPU, 16 GiB) for the reference validator (it verifies on the CPU). */
  referenceInstanceHour: 0.192,
  /** 100 GB gp3 for the reference box. */
  referenceDiskMonth: 8,
} as const;

const SECONDS_PER_BLOCK = 12;
const DAY_SECONDS = 86_400;

export interface CadenceInput {
  readonly pogIntervalBlocks: number;
  readonly weightIntervalBlocks: number;
  /** How often the schedule invokes the sync Lambda. */
  readonly syncIntervalMinutes: number;
}

/** What one measured cycle cost, per stage. */
export interface MeasuredCycle {
  readonly miners: number;
  /** Requests per service in one PoG round (sync + fan-out + workers + proof jobs), e.g. { DynamoDB: 800 }. */
  readonly roundRequests: Readonly<Record<string, number>>;
  /** Requests per service in one weight run. */
  readonly weightRequests: Readonly<Record<string, number>>;
  /** Requests per service in a sync that starts no round. */
  readonly idleSyncRequests: Readonly<Record<string, number>>;
  readonly lambda: ReadonlyArray<{
    name: string;
    invocationsPerDay: number;
    msPerInvocation: number;
    memoryMb: number;
  }>;
  /** Minutes of GPU instance per proof job (session length at the reference matrix sizes). */
  readonly gpuMinutesPerJob: number;
  readonly alarms: number;
}

export interface CostLine {
  readonly item: string;
  readonly perDay: number;
}

function requestCost(requests: Readonly<Record<string, number>>): number {
  const price: Record<string, number> = {
    SQS: PRICES_USD.sqsRequest,
    // Every DynamoDB request here moves items under 1 KB: one request unit each (upper bound for reads).
    DynamoDBWrite: PRICES_USD.dynamoWriteRequestUnit,
    DynamoDBRead: PRICES_USD.dynamoReadRequestUnit,
    SecretsManager: PRICES_USD.secretsManagerApiCall,
    Batch: PRICES_USD.batchRequest,
  };
  return Object.entries(requests).reduce((sum, [service, count]) => sum + (price[service] ?? 0) * count, 0);
}

/** Per-day cost lines for the serverless validator and for an always-on reference validator. */
export function dailyCost(
  cadence: CadenceInput,
  measured: MeasuredCycle,
): { serverless: CostLine[]; gpu: CostLine[]; reference: CostLine[] } {
  const roundsPerDay = DAY_SECONDS / (cadence.pogIntervalBlocks * SECONDS_PER_BLOCK);
  const weightRunsPerDay = DAY_SECONDS / (cadence.weightIntervalBlocks * SECONDS_PER_BLOCK);
  const syncsPerDay = (24 * 60) / cadence.syncIntervalMinutes;
  const lambdaCompute = measured.lambda.reduce(
    (sum, fn) =>
      sum +
      fn.invocationsPerDay *
        (fn.msPerInvocation / 1000) *
        (fn.memoryMb / 1024) *
        PRICES_USD.lambdaArmGbSecond,
    0,
  );
  const lambdaRequests = measured.lambda.reduce(
    (sum, fn) => sum + fn.invocationsPerDay * PRICES_USD.lambdaRequest,
    0,
  );
  const serverless: CostLine[] = [
    { item: 'Lambda compute', perDay: lambdaCompute },
    { item: 'Lambda requests', perDay: lambdaRequests },
    { item: 'AWS requests in PoG rounds', perDay: roundsPerDay * requestCost(measured.roundRequests) },
    { item: 'AWS requests in weight runs', perDay: weightRunsPerDay * requestCost(measured.weightRequests) },
    {
      item: 'AWS requests in idle syncs',
      perDay: Math.max(0, syncsPerDay - roundsPerDay) * requestCost(measured.idleSyncRequests),
    },
    { item: 'Scheduler invocations', perDay: syncsPerDay * PRICES_USD.schedulerInvocation },
    {
      item: 'Secret + KMS key + alarms',
      perDay:
        (PRICES_USD.secretMonth +
          PRICES_USD.kmsKeyMonth +
          measured.alarms * PRICES_USD.cloudWatchAlarmMonth) /
        30,
    },
  ];
  const gpu: CostLine[] = [
    {
      item: `GPU instance minutes (${measured.miners} jobs/round × ${measured.gpuMinutesPerJob} min)`,
      perDay: (roundsPerDay * measured.miners * measured.gpuMinutesPerJob * PRICES_USD.gpuInstanceHour) / 60,
    },
  ];
  const reference: CostLine[] = [
    { item: 'always-on m6i.xlarge', perDay: 24 * PRICES_USD.referenceInstanceHour },
    { item: '100 GB gp3 disk', perDay: PRICES_USD.referenceDiskMonth / 30 },
  ];
  return { serverless, gpu, reference };
}

export function sumLines(lines: readonly CostLine[]): number {
  return lines.reduce((sum, line) => sum + line.perDay, 0);
}
