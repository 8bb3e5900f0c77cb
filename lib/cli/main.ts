import type { CostSettings } from '../cost/model.js';
import { runCostCommand } from './cost.js';
import { type CliIo, EXIT, runScoreCommand } from './score.js';

/** What the entry passes in from outside lib/: the deploy settings the cost command prices. */
export interface CliContext {
  readonly costSettings: () => CostSettings;
}

const COMMANDS: Record<string, (argv: readonly string[], io: CliIo, ctx?: CliContext) => number> = {
  score: (argv, io) => runScoreCommand(argv, io),
  cost: (argv, io, ctx) => {
    if (ctx === undefined) {
      io.stderr('cost: no deploy settings were passed in (run it through bin/cli.ts)\n');
      return EXIT.failure;
    }
    return runCostCommand(argv, io, ctx.costSettings());
  },
};

/** Dispatches `cli <command> …`; returns the exit code. */
export function runCli(argv: readonly string[], io: CliIo, ctx?: CliContext): number {
  const [command, ...rest] = argv;
  const run = command === undefined ? undefined : COMMANDS[command];
  if (run === undefined) {
    io.stderr(`usage: cli <${Object.keys(COMMANDS).join('|')}> [options]  (given "${command ?? ''}")\n`);
    return EXIT.invalidInput;
  }
  return run(rest, io, ctx);
}
