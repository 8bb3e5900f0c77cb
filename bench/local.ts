import { dailyCost, sumLines } from '../harness/local/cost-model.js';
import { type LocalCycleReport, runLocalCycle } from '../harness/local/cycle.js';

/** Stages that are the pipeline's own work: server boots and PoG sessions excluded. */
const ORCHESTRATION = ['sync', 'worker', 'dispatch jobs', 'weights', 'read back'];
/** Assumed GPU-instance minutes per proof job at the reference matrix sizes (not measurable here). */
const GPU_MINUTES_PER_JOB = 3;

const sum = (...parts: Array<Record<string, number> | undefined>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const part of parts) for (const [k, v] of Object.entries(part ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
};

function costFigures(report: LocalCycleReport, miners: number): Record<string, string> {
  const s = report.stages;
  const r = report.requestsByStage;
  const workerInvocations = Math.ceil(miners / 10);
  const cost = dailyCost(
    { pogIntervalBlocks: 360, weightIntervalBlocks: 101, syncIntervalMinutes: 5 },
    {
      miners,
      roundRequests: sum(r.sync, r.worker, r['proof jobs']),
      weightRequests: sum(r.weights),
      idleSyncRequests: { ...(r.sync ?? {}), SQS: 0 },
      lambda: [
        { name: 'sync', invocationsPerDay: 288, msPerInvocation: s.sync ?? 0, memoryMb: 512 },
        {
          name: 'worker',
          invocationsPerDay: 20 * workerInvocations,
          msPerInvocation: (s.worker ?? 0) / workerInvocations,
          memoryMb: 512,
        },
        { name: 'weights', invocationsPerDay: 288, msPerInvocation: s.weights ?? 0, memoryMb: 1024 },
      ],
      gpuMinutesPerJob: GPU_MINUTES_PER_JOB,
      alarms: 4,
    },
  );
  const usd = (x: number): string => `$${x.toFixed(4)}`;
  return {
    [`cost/day serverless, ${miners} miners (Lambda+SQS+DynamoDB+Scheduler+secret)`]: usd(
      sumLines(cost.serverless),
    ),
    ...Object.fromEntries(cost.serverless.map((l) => [`  ${l.item}`, usd(l.perDay)])),
    [`cost/day GPU minutes (assumed ${GPU_MINUTES_PER_JOB} min/job)`]: usd(sumLines(cost.gpu)),
    'cost/day always-on reference validator (m6i.xlarge + disk)': usd(sumLines(cost.reference)),
    'AWS requests per PoG round': JSON.stringify(sum(r.sync, r.worker, r['proof jobs'])),
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
    figures[`orchestration ${miners} miners, PoG excluded (ms; target ≤ 5000 for 256)`] = orchestration;
    figures[`  stages ${miners} miners (ms)`] = JSON.stringify(report.stages);
    last = { report, miners };
  }
  if (last !== undefined) Object.assign(figures, costFigures(last.report, last.miners));
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
