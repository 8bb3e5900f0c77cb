import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPerformanceConfig } from '../config/gpu-performance.js';
import { ConfigError, ValidationError } from '../errors.js';
import type { UidStat } from '../ports.js';
import { explainUid, formatSummaryTable, ScoringSnapshotSchema, scoreSnapshot } from '../scoring/index.js';
import { parseWith } from '../validation.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit codes of the CLI: a contract, like its JSON. */
export const EXIT = { ok: 0, failure: 1, invalidInput: 2 } as const;

const USAGE = `usage: cli score --snapshot FILE [--config FILE] [--table | --explain UID]
  --snapshot FILE  scoring snapshot (JSON)
  --config FILE    GPU performance config override (JSON, reference config.yaml keys); default: $POG_PERFORMANCE_CONFIG or the reference v1.9.0 values
  --table          print the summary table instead of JSON
  --explain UID    print why UID scored what it did`;

/** Largest snapshot read: 256 uids need ~100 KB; anything near this bound is not a snapshot. */
const MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024;

function readSnapshot(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ValidationError(
      `cannot read snapshot ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  if (text.length > MAX_SNAPSHOT_BYTES)
    throw new ValidationError(`snapshot ${path} is larger than ${MAX_SNAPSHOT_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`snapshot ${path} is not JSON: ${(error as Error).message}`);
  }
}

/** `score`: reads a snapshot, prints the decision (JSON, table or explanation). Returns the exit code. */
export function runScoreCommand(argv: readonly string[], io: CliIo): number {
  let values: { snapshot?: string; config?: string; table?: boolean; explain?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        snapshot: { type: 'string' },
        config: { type: 'string' },
        table: { type: 'boolean' },
        explain: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.invalidInput;
  }
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (values.snapshot === undefined) {
    io.stderr(`--snapshot is required\n${USAGE}\n`);
    return EXIT.invalidInput;
  }
  const explain = values.explain === undefined ? undefined : Number(values.explain);
  if (explain !== undefined && !(Number.isInteger(explain) && explain >= 0)) {
    io.stderr(`--explain takes a uid, given "${values.explain}"\n`);
    return EXIT.invalidInput;
  }
  try {
    const performance = loadPerformanceConfig(values.config ?? io.env.POG_PERFORMANCE_CONFIG);
    const snapshot = parseWith(ScoringSnapshotSchema, readSnapshot(values.snapshot), 'snapshot');
    const decision = scoreSnapshot(snapshot, performance);
    if (values.table) {
      const rows = new Map<number, UidStat>(decision.decisions.map((d) => [d.uid, d.stat]));
      io.stdout(`${formatSummaryTable(rows)}\n`);
    } else if (explain !== undefined) {
      const text = explainUid(decision, explain);
      if (text === undefined) {
        io.stderr(`uid ${explain} is not in the snapshot\n`);
        return EXIT.invalidInput;
      }
      io.stdout(`${text}\n`);
    } else {
      const { stats, weights, pogDeletions } = decision;
      io.stdout(`${JSON.stringify({ stats, weights, pogDeletions })}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ValidationError || error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return EXIT.invalidInput;
    }
    io.stderr(`unexpected error: ${(error as Error).message}\n`);
    return EXIT.failure;
  }
}
