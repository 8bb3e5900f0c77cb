import { type CostSettings, costPerDay } from '../cost/model.js';
import { type CliIo, EXIT } from './score.js';

const USAGE = `usage: cli cost [--miners N] [--json]
  --miners N  miners challenged per round (default 256)
  --json      {"perDayUsd": {...}, "assumptions": {...}}`;

/** `cli cost`: the cost model for the deploy settings the entry passes in (cdk.json context). */
export function runCostCommand(argv: readonly string[], io: CliIo, settings: CostSettings): number {
  let miners: number | undefined;
  let json = false;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (arg === '--json') json = true;
    else if (arg === '--miners') {
      const value = Number(argv[++k]);
      if (!Number.isInteger(value) || value < 1 || value > 65_536) {
        io.stderr(`--miners must be an integer in 1..65536\n${USAGE}\n`);
        return EXIT.invalidInput;
      }
      miners = value;
    } else {
      io.stderr(`unknown option "${arg}"\n${USAGE}\n`);
      return EXIT.invalidInput;
    }
  }
  const report = costPerDay(settings, miners !== undefined ? { miners } : {});
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
