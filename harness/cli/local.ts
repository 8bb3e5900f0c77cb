import { parseArgs } from 'node:util';
import type { CliIo } from '../../lib/cli/score.js';
import { type LocalCycleReport, MAX_LOCAL_MINERS, runLocalCycle } from '../local/cycle.js';
import { DEFAULT_LOCAL_MINERS } from '../local/miner-plan.js';

const USAGE = `usage: npm run local -- [--miners N] [--json] [--chaos]
  --miners N  simulated miners, 1..${MAX_LOCAL_MINERS} (default ${DEFAULT_LOCAL_MINERS}: every behaviour once, then honest)
  --json      print one JSON object { miners, chainWeights, stages[, chaos] } instead of the report;
              each miner: uid, hotkey, behaviour, gpu_name, num_gpus, score, attempts, rowsChecked,
              entriesChecked, verifier ("gpu" | "cpu" | null), reason (null when valid)
  --chaos     inject faults (worker killed mid-batch, a worker invocation timed out mid-session,
              chain connection dropped after the node accepted the extrinsic, one DynamoDB throttle,
              one duplicate SQS delivery, a verifier killed mid-queue)
Set POG_LOCAL_DEBUG=1 to print every attempt's events.`;

function formatReport(report: LocalCycleReport): string {
  const weights = report.chainWeights.uids.map((uid, i) => `uid ${uid}: ${report.chainWeights.weights[i]}`);
  const miners = report.miners.map(
    (m) =>
      `  uid ${String(m.uid).padEnd(4)} ${m.behaviour.padEnd(18)} ${(m.gpu_name === null ? 'no GPU proven' : `${m.num_gpus} x ${m.gpu_name}`).padEnd(34)} score ${m.score.toFixed(2)}${m.reason === null ? '' : `  (${m.reason})`}`,
  );
  const stages = Object.entries(report.stages).map(([name, ms]) => `  ${name.padEnd(18)} ${ms} ms`);
  const lines = [
    report.table,
    '',
    'Miners (behaviour, what PoG proved, score 0-100):',
    ...miners,
    '',
    `Weights read back from the chain (validator uid 0): ${weights.length === 0 ? 'none' : ''}`,
    ...weights.map((w) => `  ${w}`),
    '',
    'Stages:',
    ...stages,
  ];
  if (report.chaos !== undefined) lines.push('', `Chaos: ${JSON.stringify(report.chaos)}`);
  return `${lines.join('\n')}\n`;
}

/** `npm run local`: one whole scoring cycle on this machine. Returns the exit code. */
/** Where a newcomer looks after the first cycle (README sections named as they are titled). */
const NEXT_STEPS = [
  '',
  'Next:',
  '  npm run --silent cli -- score --snapshot snapshot.json --table   # scoring dry run (README "Scoring dry run")',
  '  npm run local -- --json                                          # this cycle as one JSON object',
  '  README "Deploy to AWS" and "Local deploy": the same pipeline as a CDK stack',
  '',
].join('\n');

export async function runLocalCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let values: { miners?: string; json?: boolean; chaos?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        miners: { type: 'string' },
        json: { type: 'boolean' },
        chaos: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const miners = values.miners === undefined ? DEFAULT_LOCAL_MINERS : Number(values.miners);
  if (!Number.isInteger(miners) || miners < 1 || miners > MAX_LOCAL_MINERS) {
    io.stderr(`--miners takes an integer from 1 to ${MAX_LOCAL_MINERS} (given "${values.miners}")\n`);
    return 2;
  }
  try {
    const report = await runLocalCycle({
      miners,
      chaos: values.chaos === true,
      env: io.env as NodeJS.ProcessEnv,
      progress: (line) => io.stderr(`${line}\n`),
    });
    if (values.json) {
      const { miners: rows, chainWeights, stages, chaos } = report;
      io.stdout(
        `${JSON.stringify({ miners: rows, chainWeights, stages, ...(chaos === undefined ? {} : { chaos }) })}\n`,
      );
    } else {
      io.stdout(formatReport(report));
      io.stdout(NEXT_STEPS);
    }
    return 0;
  } catch (error) {
    io.stderr(`local cycle failed: ${(error as Error).message}\n`);
    return 1;
  }
}
