import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { PogValidatorError } from '../errors.js';
import { formatIssues } from '../validation.js';

/**
 * The TS side of the row checker (lib/pog/payload/row_check.py; contract in lib/pog/README.md): spawn
 * it on a bundle file with a deadline and bounded output, parse its one JSON line with zod. One process
 * per bundle; a caller with many bundles keeps one process instead (row-check-process.ts).
 */

/** Exit codes of payload/row_check.py (its BundleError and UsageError); a unit test runs it for each. */
export const RowCheckExit = {
  Ok: 0,
  /** Our own fault or the caller's: bad arguments, no CUDA. */
  Fault: 1,
  /** The bundle is invalid or truncated: the miner's fault. */
  InvalidBundle: 2,
} as const;

/**
 * Why a row check produced no report: the bundle is invalid (exit 2), the checker failed or stalled on
 * it, or the checker was closed (the drain ended: nothing to do with the bundle).
 */
export class RowCheckError extends PogValidatorError {
  constructor(
    message: string,
    readonly kind: 'invalid-bundle' | 'crashed' | 'timeout' | 'closed',
  ) {
    super(message);
  }
}

const count = z.number().int().min(0);
// Python's json writes NaN/Infinity as bare tokens; they are mapped to null before parsing
const maybeFinite = z.number().finite().nullable();

export const RowCheckGpuSchema = z.object({
  gpu: z.number().int().min(0).max(1023),
  rowsChecked: count,
  entriesChecked: count,
  wrongValues: count,
  wrongRows: count,
  firstWrong: z.object({ row: count, col: count, expected: maybeFinite, got: maybeFinite }).nullable(),
  maxRelError: maybeFinite,
});
export const RowCheckReportSchema = z.object({
  device: z.enum(['cpu', 'cuda']),
  deviceName: z.string().max(256),
  seconds: z.number().finite().min(0),
  entriesChecked: count,
  gpus: z.array(RowCheckGpuSchema).max(1024),
});
export type RowCheckReport = z.infer<typeof RowCheckReportSchema>;
export type RowCheckGpu = z.infer<typeof RowCheckGpuSchema>;

export interface RowCheckOptions {
  readonly python: string;
  /** Path of row_check.py. @default the copy beside this module's payload folder */
  readonly script?: string;
  readonly device: 'auto' | 'cpu' | 'cuda';
  readonly timeoutMs: number;
}

/** Where row_check.py lives: lib/pog/payload in the repo, payload/ beside the bundled entry in the image. */
export function defaultRowCheckScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'payload', 'row_check.py');
}

export const MAX_STDOUT = 1024 * 1024;
export const MAX_STDERR = 4096;

/** Runs the checker on a bundle file; resolves with its report or throws {@link RowCheckError}. */
export function runRowCheck(bundlePath: string, options: RowCheckOptions): Promise<RowCheckReport> {
  const script = options.script ?? defaultRowCheckScript();
  return new Promise((resolve, reject) => {
    const child = spawn(options.python, [script, '--bundle', bundlePath, '--device', options.device], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new RowCheckError(`row check ran past ${options.timeoutMs} ms`, 'timeout')));
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.length > MAX_STDOUT) {
        child.kill('SIGKILL');
        finish(() => reject(new RowCheckError('row check output too large', 'crashed')));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) =>
      finish(() => reject(new RowCheckError(`row check did not start: ${error.message}`, 'crashed'))),
    );
    child.on('close', (code) =>
      finish(() => {
        const why = stderr.trim().split('\n').pop()?.slice(0, 300) ?? '';
        if (code === RowCheckExit.InvalidBundle)
          return reject(new RowCheckError(`bundle rejected by row check: ${why}`, 'invalid-bundle'));
        if (code !== RowCheckExit.Ok)
          return reject(new RowCheckError(`row check exited ${code}: ${why}`, 'crashed'));
        try {
          resolve(parseRowCheckReport(stdout));
        } catch (error) {
          reject(error);
        }
      }),
    );
  });
}

/** Parses the checker's stdout (one JSON line). */
export function parseRowCheckReport(stdout: string): RowCheckReport {
  return validateRowCheckReport(parseCheckerJson(stdout));
}

/** One JSON line of the checker; Python's bare NaN/Infinity tokens become null first. */
export function parseCheckerJson(line: string): unknown {
  try {
    return JSON.parse(line.trim().replace(/(?<![A-Za-z"])-?(?:NaN|Infinity)(?![A-Za-z"])/g, 'null'));
  } catch {
    throw new RowCheckError('row check output is not JSON', 'crashed');
  }
}

/** The report object of the contract, or a {@link RowCheckError} naming the first problems. */
export function validateRowCheckReport(json: unknown): RowCheckReport {
  const result = RowCheckReportSchema.safeParse(json);
  if (!result.success) {
    throw new RowCheckError(
      `row check output invalid: ${formatIssues(result.error).slice(0, 3).join('; ')}`,
      'crashed',
    );
  }
  return result.data;
}
