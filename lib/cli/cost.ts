import { type CostAssumptions, type CostSettings, costPerDay } from '../cost/model.js';
import { type CliIo, EXIT } from './score.js';

const USAGE = `usage: cli cost [--miners N] [--miner-seconds S] [--verifier-starts K] [--json]
  --miners N           miners challenged per round (default 256)
  --miner-seconds S    the miner's time per attempt, e.g. a deployed stack's MinerWaitSeconds average
                       (default: the model's assumption)
  --verifier-starts K  verifier jobs per round, e.g. a deployed stack's JobsSubmitted plus
                       VerifierRestarts per round (default 1)
  --json               {"perDayUsd": {...}, "assumptions": {...}}`;

/** The options that replace an assumption, with their bounds. */
const OVERRIDES = {
  '--miners': { name: 'miners', min: 1, max: 65_536, integer: true },
  '--miner-seconds': { name: 'minerSecondsPerAttempt', min: 0, max: 3_600, integer: false },
  '--verifier-starts': { name: 'verifierStartsPerRound', min: 1, max: 256, integer: false },
} as const satisfies Record<
  string,
  { name: keyof CostAssumptions; min: number; max: number; integer: boolean }
>;

/** `cli cost`: the cost model for the deploy settings the entry passes in (cdk.json context). */
export function runCostCommand(argv: readonly string[], io: CliIo, settings: CostSettings): number {
  const overrides: Partial<CostAssumptions> = {};
  let json = false;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k] ?? '';
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (!Object.hasOwn(OVERRIDES, arg)) {
      io.stderr(`unknown option "${arg}"\n${USAGE}\n`);
      return EXIT.invalidInput;
    }
    const o = OVERRIDES[arg as keyof typeof OVERRIDES];
    const value = Number(argv[++k]);
    if (
      !Number.isFinite(value) ||
      (o.integer && !Number.isInteger(value)) ||
      value < o.min ||
      value > o.max
    ) {
      io.stderr(`${arg} must be ${o.integer ? 'an integer' : 'a number'} in ${o.min}..${o.max}\n${USAGE}\n`);
      return EXIT.invalidInput;
    }
    overrides[o.name] = value;
  }
  const report = costPerDay(settings, overrides);
  if (json) {
    io.stdout(`${JSON.stringify({ perDayUsd: report.perDayUsd, assumptions: report.assumptions })}\n`);
    return EXIT.ok;
  }
  const usd = (x: number) => `$${x.toFixed(2)}`;
  const rows = [
    ...report.lines.map((l) => [l.item, usd(l.perDay)]),
    ['serverless total', usd(report.perDayUsd.serverless)],
    [
      `verifier on-demand (${report.verifierMinutesPerRound} min/round, estimate)`,
      usd(report.perDayUsd.verifierOnDemand),
    ],
    ['verifier Spot (estimate)', usd(report.perDayUsd.verifierSpot)],
    ['total, on-demand verifier', usd(report.perDayUsd.totalOnDemand)],
    ['total, Spot verifier', usd(report.perDayUsd.totalSpot)],
    ['old design: a GPU instance per session', usd(report.oldDesignGpuPerDay)],
    ['always-on box (reference validator)', usd(report.perDayUsd.alwaysOnBox)],
  ];
  const width = Math.max(...rows.map((r) => (r[0] ?? '').length));
  io.stdout(`${rows.map(([a, b]) => `${(a ?? '').padEnd(width)}  ${b}`).join('\n')}\n`);
  io.stdout(
    `assumptions: ${Object.entries(report.assumptions)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}\n`,
  );
  return EXIT.ok;
}
