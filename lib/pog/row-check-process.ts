import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as z from 'zod';
import {
  defaultRowCheckScript,
  MAX_STDERR,
  MAX_STDOUT,
  parseCheckerJson,
  RowCheckError,
  type RowCheckOptions,
  type RowCheckReport,
  validateRowCheckReport,
} from './row-check.js';

/**
 * One long-lived row checker (`row_check.py --serve`) for many bundles, so the interpreter, numpy and the
 * CUDA context start once per verifier job instead of once per bundle. Requests run one at a time. A
 * request that runs past its deadline, a process that dies mid-request, or output that breaks the
 * protocol fails that bundle with a {@link RowCheckError} and replaces the process for the next one.
 */

export interface RowCheckProcessOptions extends RowCheckOptions {
  /** Longest response line accepted, in characters. @default 1 MiB */
  readonly maxOutputChars?: number;
  /** How long `close()` waits for the process to leave after its stdin ends, before SIGKILL. @default 5000 */
  readonly closeGraceMs?: number;
}

const ResponseSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int(), ok: z.literal(true), report: z.unknown() }),
  z.object({
    id: z.number().int().nullable(),
    ok: z.literal(false),
    kind: z.enum(['invalid-bundle', 'error']),
    error: z.string().max(4096),
  }),
]);

interface Pending {
  readonly id: number;
  readonly resolve: (report: RowCheckReport) => void;
  readonly reject: (error: RowCheckError) => void;
  readonly timer: NodeJS.Timeout;
}

/** One spawned process and what it has said so far. */
interface Live {
  readonly child: ChildProcessWithoutNullStreams;
  readonly gone: Promise<void>;
  line: string;
  stderr: string;
  dead: boolean;
  pending: Pending | undefined;
}

export class RowCheckProcess {
  readonly #options: RowCheckProcessOptions;
  #live: Live | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #closed = false;
  #started = 0;

  /** Starts the process at once, so its start overlaps the caller's first download. */
  constructor(options: RowCheckProcessOptions) {
    this.#options = options;
    this.#live = this.#spawn();
  }

  /** Processes started so far (1 + restarts). */
  get started(): number {
    return this.#started;
  }

  /** The current process's id, for logs and tests; undefined between a failure and the next start. */
  get pid(): number | undefined {
    return this.#live?.dead === false ? this.#live.child.pid : undefined;
  }

  /** Checks one bundle file; resolves with its report or rejects with a {@link RowCheckError}. */
  check(bundlePath: string): Promise<RowCheckReport> {
    const run = this.#queue.then(() => this.#request(bundlePath));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Ends stdin so the checker exits by itself; SIGKILL after the grace period. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const live = this.#live;
    this.#live = undefined;
    if (live === undefined || live.dead) return;
    this.#settle(live, new RowCheckError('row checker closed mid-request', 'closed'));
    live.child.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.closeGraceMs ?? 5000);
    });
    await Promise.race([live.gone, grace]);
    clearTimeout(timer);
    if (!live.dead) {
      live.child.kill('SIGKILL');
      await live.gone;
    }
  }

  #request(bundlePath: string): Promise<RowCheckReport> {
    if (this.#closed) return Promise.reject(new RowCheckError('row checker is closed', 'closed'));
    const live = this.#live !== undefined && !this.#live.dead ? this.#live : this.#spawn();
    this.#live = live;
    const id = this.#nextId++;
    const ms = this.#options.timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#fail(
            live,
            new RowCheckError(`row check ran past ${ms} ms; the checker was killed and restarted`, 'timeout'),
          ),
        ms,
      );
      live.pending = { id, resolve, reject, timer };
      live.child.stdin.write(`${JSON.stringify({ id, bundle: bundlePath })}\n`);
    });
  }

  #spawn(): Live {
    this.#started++;
    const script = this.#options.script ?? defaultRowCheckScript();
    const child = spawn(this.#options.python, [script, '--serve', '--device', this.#options.device], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let markGone: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => {
      markGone = resolve;
    });
    const live: Live = { child, gone, line: '', stderr: '', dead: false, pending: undefined };
    const max = this.#options.maxOutputChars ?? MAX_STDOUT;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (live.dead) return; // what a replaced process still says is nobody's answer
      live.line += chunk;
      for (let nl = live.line.indexOf('\n'); nl >= 0 && !live.dead; nl = live.line.indexOf('\n')) {
        const line = live.line.slice(0, nl);
        live.line = live.line.slice(nl + 1);
        this.#onLine(live, line);
      }
      if (live.line.length > max && !live.dead) {
        this.#fail(live, new RowCheckError(`row check output line longer than ${max} characters`, 'crashed'));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      live.stderr = (live.stderr + chunk).slice(-MAX_STDERR);
    });
    // a write to a process that just died fails with EPIPE; 'close' below reports that death
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      this.#settle(live, new RowCheckError(`row check did not start: ${error.message}`, 'crashed'));
      live.dead = true;
      markGone();
    });
    child.on('close', (code, signal) => {
      const how = signal !== null ? `signal ${signal}` : `code ${code}`;
      const why = lastLine(live.stderr);
      const failed = this.#settle(
        live,
        new RowCheckError(`row checker died mid-request (${how})${why ? `: ${why}` : ''}`, 'crashed'),
      );
      live.dead = true;
      markGone();
      if (failed) this.#restart(live);
    });
    return live;
  }

  #onLine(live: Live, line: string): void {
    const pending = live.pending;
    if (line.trim() === '') return;
    let response: z.infer<typeof ResponseSchema>;
    try {
      const parsed = ResponseSchema.safeParse(parseCheckerJson(line));
      if (!parsed.success || pending === undefined || parsed.data.id !== pending.id) {
        throw new RowCheckError('row check output is not the response to the request', 'crashed');
      }
      response = parsed.data;
    } catch (error) {
      // the stream is out of step with the requests: no later line can be trusted either
      this.#fail(live, error instanceof RowCheckError ? error : new RowCheckError(String(error), 'crashed'));
      return;
    }
    if (!response.ok) {
      const reason = response.error.split('\n')[0]?.slice(0, 300) ?? '';
      this.#settle(
        live,
        response.kind === 'invalid-bundle'
          ? new RowCheckError(`bundle rejected by row check: ${reason}`, 'invalid-bundle')
          : new RowCheckError(`row check failed: ${reason}`, 'crashed'),
      );
      return;
    }
    try {
      const report = validateRowCheckReport(response.report);
      live.pending = undefined;
      clearTimeout(pending.timer);
      pending.resolve(report);
    } catch (error) {
      this.#settle(
        live,
        error instanceof RowCheckError ? error : new RowCheckError(String(error), 'crashed'),
      );
    }
  }

  /** Rejects the request in hand, if any; true when there was one. */
  #settle(live: Live, error: RowCheckError): boolean {
    const pending = live.pending;
    if (pending === undefined) return false;
    live.pending = undefined;
    clearTimeout(pending.timer);
    pending.reject(error);
    return true;
  }

  /** Fails the request in hand and replaces the process. */
  #fail(live: Live, error: RowCheckError): void {
    this.#settle(live, error);
    if (live.dead) return;
    live.dead = true;
    live.child.kill('SIGKILL');
    this.#restart(live);
  }

  /** A fresh process for the next bundle, unless closed or already replaced. */
  #restart(live: Live): void {
    if (this.#closed || this.#live !== live) return;
    this.#live = this.#spawn();
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 300) ?? '';
}

/** One checker process for many bundles; the caller must `close()` it (a finally block). */
export function startRowChecker(options: RowCheckProcessOptions): RowCheckProcess {
  return new RowCheckProcess(options);
}
