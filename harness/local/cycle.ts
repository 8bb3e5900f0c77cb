import { DEFAULT_PERFORMANCE_CONFIG, type PerformanceConfig } from '../../lib/config/gpu-performance.js';
import type { Log, LogFields } from '../../lib/log.js';
import { DEFAULT_DEVNET_SPEC } from '../chain/devnet.js';
import { Chaos, type ChaosReport } from './chaos.js';
import { Lifecycle } from './lifecycle.js';
import { emulatorEnv } from './moto.js';
import { checkLocalDependencies } from './preflight.js';
import { RequestCounter } from './request-counter.js';
import { createAws } from './stages/aws.js';
import { type CycleContext, StageClock } from './stages/context.js';
import { type LocalMinerReport, readBack } from './stages/read-back.js';
import { startChainAndMiners, startEmulator } from './stages/start.js';
import { runSyncStage } from './stages/sync.js';
import { runVerifierStage } from './stages/verifier.js';
import { runWeightsStage } from './stages/weights.js';
import { runWorkerStage, type WorkerTime } from './stages/worker.js';

export type { ChaosReport } from './chaos.js';
export type { LocalMinerReport } from './stages/read-back.js';
export { LOCAL_RETRY_LIMIT, type WorkerTime } from './stages/worker.js';

export const MAX_LOCAL_MINERS = 256;

export interface LocalCycleOptions {
  readonly miners: number;
  readonly chaos: boolean;
  /** Parallel proof jobs (the Batch compute environment's width). */
  readonly jobConcurrency?: number;
  readonly performance?: PerformanceConfig;
  /** One line per stage event; defaults to nothing. */
  readonly progress?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

export interface LocalCycleReport {
  readonly miners: LocalMinerReport[];
  readonly chainWeights: { uids: number[]; weights: number[] };
  /** Milliseconds per stage, in the order they ran. */
  readonly stages: Record<string, number>;
  readonly table: string;
  /** AWS requests per operation over the whole cycle, and per service in each stage. */
  readonly requests: Record<string, number>;
  readonly requestsByStage: Record<string, Record<string, number>>;
  readonly workerTime: WorkerTime;
  readonly chaos?: ChaosReport;
}

/**
 * One whole scoring cycle on this machine: moto (or the emulator AWS_ENDPOINT_URL names), chopsticks
 * with the spec-293 runtime seeded with our validator and N miners, N simulated miners behind a real
 * sshd, and the real handlers driven in-process: schedule → sync → SQS → worker → Batch → proof jobs →
 * DynamoDB → weights → chain. Everything started is stopped, also on failure.
 */
export async function runLocalCycle(options: LocalCycleOptions): Promise<LocalCycleReport> {
  if (!Number.isInteger(options.miners) || options.miners < 1 || options.miners > MAX_LOCAL_MINERS) {
    throw new RangeError(
      `--miners must be an integer from 1 to ${MAX_LOCAL_MINERS} (given ${options.miners})`,
    );
  }
  const env = options.env ?? process.env;
  const progress = options.progress ?? (() => {});
  const external = env.AWS_ENDPOINT_URL;
  const missing = checkLocalDependencies({
    needMoto: external === undefined,
    chainFixture: DEFAULT_DEVNET_SPEC,
  });
  if (missing.length > 0) {
    throw new Error(
      `missing system dependencies:\n${missing.map((m) => `  ${m.what}: ${m.install}`).join('\n')}`,
    );
  }

  const counter = new RequestCounter();
  const ctx: CycleContext = {
    performance: options.performance ?? DEFAULT_PERFORMANCE_CONFIG,
    // POG_LOCAL_DEBUG=1: every attempt's and session's events, one line each, on the progress stream
    debug: env.POG_LOCAL_DEBUG === '1' ? progressLog(progress) : undefined,
    chaos: new Chaos(options.chaos),
    clock: new StageClock(counter, progress),
    life: new Lifecycle((line) => progress(`  ${line}`)).trapSignals(),
  };
  const previousEnv = { ...process.env };
  try {
    const endpoint = await startEmulator(ctx, external);
    Object.assign(process.env, emulatorEnv(endpoint), { POWERTOOLS_METRICS_DISABLED: 'true' });
    const servers = await startChainAndMiners(ctx, endpoint, options.miners);
    const aws = await createAws(ctx, servers);
    const challenges = await runSyncStage(ctx, aws);
    const workerTime = await runWorkerStage(ctx, servers, aws, challenges);
    await runVerifierStage(ctx, aws);
    await runWeightsStage(ctx, servers, aws);
    const back = await readBack(ctx, servers, aws);
    return {
      miners: back.miners,
      chainWeights: back.chainWeights,
      stages: ctx.clock.stages,
      table: back.table,
      requests: counter.toJSON(),
      requestsByStage: ctx.clock.requestsByStage,
      workerTime,
      ...(options.chaos ? { chaos: ctx.chaos.report(servers.proxy, challenges, back.resultsRecorded) } : {}),
    };
  } finally {
    await ctx.life.stopAll();
    for (const key of Object.keys(process.env)) if (!(key in previousEnv)) delete process.env[key];
    Object.assign(process.env, previousEnv);
  }
}

/** POG_LOCAL_DEBUG's log: one line per record on the progress stream, its fields merged. */
function progressLog(progress: (line: string) => void): Log {
  const line = (message: string, ...fields: LogFields[]) =>
    progress(`    ${message} ${JSON.stringify(Object.assign({}, ...fields))}`);
  return { info: line, warn: line, error: line };
}
