import { type LocalCycleReport, runLocalCycle } from '../harness/local/cycle.js';
import { costSettingsFromCdkJson } from '../infra/cost-settings.js';
import { type CostAssumptions, costPerDay } from '../lib/cost/model.js';

/** Stages that are the pipeline's own work: server boots excluded (the worker stage includes PoG sessions). */
const ORCHESTRATION = ['sync', 'dispatch jobs', 'weights', 'read back'];

const sum = (...parts: Array<Record<string, number> | undefined>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const part of parts) for (const [k, v] of Object.entries(part ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
};

/**
 * lib/cost's model with the figures this cycle measured in place of its assumptions: attempts per
 * miner, AWS requests per attempt, the worker's own time per attempt (its invocations' wall time less
 * the waits on the miners), sync and weights durations. The miner's time stays the model's production
 * assumption: a simulated miner on this machine says nothing about a real one's.
 */
function costFigures(report: LocalCycleReport, miners: number): Record<string, string | number> {
  const r = report.requestsByStage;
  const attempts = report.miners.reduce((t, m) => t + m.attempts, 0);
  const worker = sum(r.worker);
  const w = report.workerTime;
  const perAttemptS = (ms: number) => ms / Math.max(1, w.attempts) / 1000;
  const ownSeconds = perAttemptS(w.invocationMs - w.minerMs);
  const verifierStarts = report.requests['Batch:SubmitJob'] ?? 0;
  const measured: Partial<CostAssumptions> = {
    miners,
    attemptsPerMiner: attempts / miners,
    sqsRequestsPerAttempt: (worker.SQS ?? 0) / attempts,
    dynamoWritesPerAttempt: (worker.DynamoDBWrite ?? 0) / attempts,
    dynamoReadsPerAttempt: (worker.DynamoDBRead ?? 0) / attempts,
    workerOwnSecondsPerAttempt: ownSeconds,
    verifierStartsPerRound: Math.max(1, verifierStarts),
    syncSeconds: (report.stages.sync ?? 0) / 1000,
    weightsSeconds: (report.stages.weights ?? 0) / 1000,
  };
  const cost = costPerDay(costSettingsFromCdkJson(), measured);
  const usd = (x: number): string => `$${x.toFixed(2)}`;
  return {
    [`attempts per miner (measured, ${miners} miners)`]: (attempts / miners).toFixed(2),
    'worker own seconds per attempt (measured: invocations less miner waits, emulator)':
      ownSeconds.toFixed(2),
    [`worker wait on a simulated miner per attempt (s; production assumption: ${cost.assumptions.minerSecondsPerAttempt})`]:
      perAttemptS(w.minerMs).toFixed(2),
    'cost/day serverless (lib/cost, measured requests and own time)': usd(cost.perDayUsd.serverless),
    ...Object.fromEntries(cost.lines.map((l) => [`  ${l.item}`, `$${l.perDay.toFixed(4)}`])),
    'verifier jobs started in the round (measured)': verifierStarts,
    'cost/day GPU verifier on-demand (estimate)': usd(cost.perDayUsd.verifierOnDemand),
    'cost/day GPU verifier Spot (estimate)': usd(cost.perDayUsd.verifierSpot),
    'cost/day always-on reference validator': usd(cost.perDayUsd.alwaysOnBox),
    'AWS requests per PoG round': JSON.stringify(sum(r.sync, r.worker, r.verifier)),
    'AWS requests per weight run': JSON.stringify(sum(r.weights)),
  };
}

export async function run(): Promise<Record<string, string | number>> {
  const sizes = (process.env.BENCH_LOCAL_MINERS ?? '16,256').split(',').map(Number);
  const figures: Record<string, string | number> = {};
  let last: { report: LocalCycleReport; miners: number } | undefined;
  for (const miners of sizes) {
    const report = await runLocalCycle({
      miners,
      chaos: false,
      env: { ...process.env, AWS_ENDPOINT_URL: undefined },
    });
    const orchestration = ORCHESTRATION.reduce((t, name) => t + (report.stages[name] ?? 0), 0);
    figures[`orchestration ${miners} miners, PoG and verifier excluded (ms; target ≤ 5000 for 256)`] =
      orchestration;
    figures[`  stages ${miners} miners (ms)`] = JSON.stringify(report.stages);
    last = { report, miners };
  }
  if (last !== undefined) Object.assign(figures, costFigures(last.report, last.miners));
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
