import { type CliIo, EXIT, runScoreCommand } from './score.js';

const COMMANDS: Record<string, (argv: readonly string[], io: CliIo) => number> = {
  score: runScoreCommand,
};

/** Dispatches `cli <command> …`; returns the exit code. */
export function runCli(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  const run = command === undefined ? undefined : COMMANDS[command];
  if (run === undefined) {
    io.stderr(`usage: cli <${Object.keys(COMMANDS).join('|')}> [options]  (given "${command ?? ''}")\n`);
    return EXIT.invalidInput;
  }
  return run(rest, io);
}
