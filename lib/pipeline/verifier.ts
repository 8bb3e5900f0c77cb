import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asError, PogValidatorError, ValidationError } from '../errors.js';
import type { Log } from '../log.js';
import {
  BUNDLE_MAX_BYTES,
  bundleDigest,
  decodeBundle,
  type ProofBundle,
  parseVerificationMessage,
  type VerificationMessage,
} from '../pog/bundle.js';
import { KNOWN_HONEST, knownHonestBundle } from '../pog/known-honest.js';
import { proofLength, requiredPasses, verifyMerkleProof } from '../pog/math.js';
import { RowCheckError, type RowCheckGpu, type RowCheckReport } from '../pog/row-check.js';
import { PAYLOAD_PROTOCOL } from '../pog/verify.js';
import type { QueueMessage, VerificationQueuePort } from '../queue/verification.js';
import { BundleMissingError, type BundleSource } from '../store/bundles.js';
import type { FinalResultStore, VerifiedOutcome } from '../store/final-results.js';

/**
 * The verifier (issue 11): a Batch job that drains the verification queue. For every bundle it checks
 * each Merkle path against the committed root, runs the row checker over every value of every
 * challenged row, decides the verdict, records the final result once per (roundId, hotkey), and only
 * then deletes the message. A verifier killed mid-queue loses nothing: an undeleted message comes back
 * after its visibility timeout. A poison bundle becomes a failure row plus a DLQ message.
 */

/** `enforce`: a row-check discrepancy fails the miner. `report`: it is logged and counted; the sampled verdict stands. */
export type RowCheckMode = 'enforce' | 'report';
export const ROW_CHECK_MODES = ['enforce', 'report'] as const;

/** Log messages the stack's metric filters match (infra/verifier.ts); the infra test pins them. */
export const VerifierLog = {
  /** One final result recorded; fields `outcome` ('success' | 'failure') and `verifier`. */
  Result: 'verifier result',
  /** The row check disagrees with the verdict recorded (report mode) or failed a GPU (enforce). */
  Discrepancy: 'row check discrepancy',
  /** A message or bundle that can never verify: recorded as a failure and dead-lettered. */
  Poison: 'poison bundle',
  /** An infrastructure fault (S3, store, checker start): the message is left for redelivery. */
  Retry: 'verification retried',
  Finished: 'verifier finished',
  /** The job dropped its round's claim before its last drain (a later hand-over starts a new job). */
  ClaimReleased: 'verifier claim released',
  /** The claim could not be dropped: the round's next hand-over starts no job until the claim expires. */
  ClaimKept: 'verifier claim not released',
  /** The challenge queue's counts could not be read: the drain ends after its empty polls. */
  PendingUnknown: 'verifier could not tell whether sessions are pending',
  /** The checker failed on a bundle and then on the known-honest self-test: the drain stops, the bundle waits. */
  CheckerFault: 'row checker fault',
} as const;

/** The `outcome` field of a {@link VerifierLog.Result} line; the failures metric filter matches `failure`. */
export const VerifierOutcome = {
  field: 'outcome',
  success: 'success',
  failure: 'failure',
} as const;

/**
 * Exit codes of the verifier job (functions/verifier). Unfinished messages come back to the queue by
 * themselves, so the job definition retries only a reclaimed Spot host and a process killed outright
 * (137), and ends the job on any code the process itself returns.
 */
export const VerifierExit = {
  /** The queue stayed empty (or Batch sent SIGTERM) and every bundle in hand was finished. */
  Drained: 0,
  /** A configuration or client fault, or a row checker that fails its self-test. */
  Fault: 1,
} as const;

/** Runs the row checker on a bundle file. */
export type RowChecker = (bundlePath: string) => Promise<RowCheckReport>;

/** A checker that lives for a whole drain (lib/pog/row-check-process.ts: one interpreter, one CUDA context). */
export interface RowCheckService {
  check(bundlePath: string): Promise<RowCheckReport>;
  close(): Promise<void>;
}

export interface VerifierDeps {
  readonly queue: VerificationQueuePort;
  readonly bundles: BundleSource;
  readonly rowCheck: RowChecker;
  readonly results: FinalResultStore;
  readonly mode: RowCheckMode;
  readonly log: Log;
  /** Where bundles are written for the checker. @default os.tmpdir() */
  readonly workDir?: string;
  /**
   * Whether a PoG session of the job's round may still hand a bundle over ({@link roundSessionsPending}).
   * Absent, the drain ends after `emptyPolls` empty receives.
   */
  readonly sessionsPending?: () => Promise<boolean>;
  /** Milliseconds, for the idle time. @default Date.now */
  readonly now?: () => number;
}

export interface DrainOptions {
  /** Messages per receive (SQS allows 1..10); the queue's visibility timeout covers this many bundles. */
  readonly batchSize: number;
  /** Long-poll seconds per receive (0..20). */
  readonly waitSeconds: number;
  /** Consecutive empty receives after which the job exits (while sessions are pending: at least this many). */
  readonly emptyPolls: number;
  /**
   * While sessions are pending, how long the job keeps polling an empty queue (seconds since its last
   * message or its start) before it exits: a new job's start (boot, image pull) for a bundle that comes
   * later. Waiting that long for it never costs more than the start it saves, so a round's late bundles
   * cost at most twice what knowing their arrival would. With no session pending the job exits at the
   * first empty receive: no bundle can come. @default 0
   */
  readonly lingerSeconds?: number;
  /** Stops between messages (Batch SIGTERM); unfinished messages return to the queue. */
  readonly signal?: AbortSignal;
  readonly maxBundleBytes?: number;
}

export type MessageVerdict = 'recorded' | 'duplicate' | 'poison' | 'retry' | 'checker fault';

export interface DrainSummary {
  readonly processed: number;
  readonly recorded: number;
  readonly duplicates: number;
  readonly poison: number;
  readonly retried: number;
  /** The drain stopped because the row checker failed its self-test ({@link RowCheckerFaultError}). */
  readonly checkerFault: boolean;
}

/**
 * The {@link VerifierDeps.sessionsPending} of a round's job: its sessions may still hand a bundle over
 * while the challenge queue holds messages (`held`) and the round's last attempt may still run
 * (`until`, epoch seconds: lib/pipeline/verifier-start.ts `sessionsUntil`). Without that time none is
 * pending: the queue's messages may be the next round's, whose bundles start their own job.
 *
 * @param now milliseconds, as Date.now
 */
export function roundSessionsPending(
  held: () => Promise<number>,
  until: number | undefined,
  now: () => number = Date.now,
): () => Promise<boolean> {
  return async () => until !== undefined && now() < until * 1000 && (await held()) > 0;
}

/** Why a drain ended, in its {@link VerifierLog.Finished} line. */
export type DrainEnd = 'stopped' | 'idle' | 'no session pending' | 'checker fault';

/** After an empty receive: whether the drain ends, and why. */
async function idleEnd(
  deps: VerifierDeps,
  options: DrainOptions,
  emptyReceives: number,
  idleMs: number,
): Promise<DrainEnd | null> {
  const polledOut = emptyReceives >= options.emptyPolls;
  if (deps.sessionsPending === undefined) return polledOut ? 'idle' : null;
  let pending: boolean;
  try {
    pending = await deps.sessionsPending();
  } catch (error) {
    // the counts are an optimisation: without them the job ends as it would without the port
    deps.log.warn(VerifierLog.PendingUnknown, { error: asError(error).message });
    return polledOut ? 'idle' : null;
  }
  if (!pending) return 'no session pending';
  return polledOut && idleMs >= (options.lingerSeconds ?? 0) * 1000 ? 'idle' : null;
}

/**
 * Drains the queue until it stays empty: `emptyPolls` receives, and while sessions are pending
 * `lingerSeconds` too; at once when none is ({@link DrainOptions.lingerSeconds}). Or until the signal fires.
 */
export async function drainVerificationQueue(
  deps: VerifierDeps,
  options: DrainOptions,
): Promise<DrainSummary> {
  const counts = { processed: 0, recorded: 0, duplicates: 0, poison: 0, retried: 0 };
  const now = deps.now ?? Date.now;
  let empty = 0;
  let lastWork = now();
  let ended: DrainEnd = 'stopped';
  const stopped = () => options.signal?.aborted === true || ended === 'checker fault';
  while (!stopped()) {
    const messages = await deps.queue.receive(options.batchSize, options.waitSeconds);
    if (messages.length === 0) {
      empty++;
      const end = await idleEnd(deps, options, empty, now() - lastWork);
      if (end === null) continue;
      ended = end;
      break;
    }
    empty = 0;
    for (const message of messages) {
      if (stopped()) break;
      const verdict = await verifyMessage(deps, message, options.maxBundleBytes ?? BUNDLE_MAX_BYTES);
      counts.processed++;
      if (verdict === 'recorded') counts.recorded++;
      else if (verdict === 'duplicate') counts.duplicates++;
      else if (verdict === 'poison') counts.poison++;
      else counts.retried++;
      // every bundle after it would fail the same way: leave them to a job with a sound checker
      if (verdict === 'checker fault') ended = 'checker fault';
    }
    lastWork = now();
  }
  deps.log.info(VerifierLog.Finished, {
    ...counts,
    ended,
    idleSeconds: Math.round((now() - lastWork) / 1000),
  });
  return { ...counts, checkerFault: ended === 'checker fault' };
}

/**
 * The round's claim on "a verifier is running" (lib/pipeline/verifier-start.ts `startVerifier` takes it), as
 * the job sees it: dropping it lets the next hand-over start a new verifier.
 */
export interface VerifierClaim {
  release(): Promise<void>;
}

/**
 * Drains with one checker for the whole run, and closes it at the end, also when the drain throws.
 * With its round's claim, the job then drops the claim, so a bundle handed over from now on starts a
 * new verifier, and drains once more: a bundle handed over while the claim still stood (its worker
 * started no job) was enqueued before the release, so this last drain receives it. A stopped or
 * failed job drops the claim too (without the last drain), so the round is never left without one.
 */
export async function drainWithRowChecker(
  checker: RowCheckService,
  deps: Omit<VerifierDeps, 'rowCheck'>,
  options: DrainOptions,
  claim?: VerifierClaim,
): Promise<DrainSummary> {
  const withChecker = { ...deps, rowCheck: (file: string) => checker.check(file) };
  let released = claim === undefined;
  const release = async (): Promise<void> => {
    if (released || claim === undefined) return;
    released = true;
    await claim.release();
    deps.log.info(VerifierLog.ClaimReleased, {});
  };
  try {
    const first = await drainVerificationQueue(withChecker, options);
    if (claim === undefined || options.signal?.aborted === true || first.checkerFault) return first;
    await release();
    const last = await drainVerificationQueue(withChecker, { ...options, emptyPolls: 1, lingerSeconds: 0 });
    return {
      processed: first.processed + last.processed,
      recorded: first.recorded + last.recorded,
      duplicates: first.duplicates + last.duplicates,
      poison: first.poison + last.poison,
      retried: first.retried + last.retried,
      checkerFault: last.checkerFault,
    };
  } finally {
    await release().catch((error: unknown) =>
      deps.log.warn(VerifierLog.ClaimKept, { error: asError(error).message }),
    );
    await checker.close();
  }
}

/** Something wrong with the bundle itself: no redelivery can help. */
class PoisonError extends PogValidatorError {}

/**
 * The row checker, not the bundle, is at fault: it was closed, or it failed on a bundle and then on the
 * known-honest self-test (a lost GPU, a broken image). The message is left for redelivery and the
 * drain stops: recording the bundle as poison would fail an honest miner, and every miner after it.
 */
class RowCheckerFaultError extends PogValidatorError {}

/**
 * Verifies one message end to end. Infrastructure faults leave the message for redelivery ('retry');
 * everything else ends recorded, then deleted.
 */
export async function verifyMessage(
  deps: VerifierDeps,
  message: QueueMessage,
  maxBundleBytes = BUNDLE_MAX_BYTES,
): Promise<MessageVerdict> {
  let parsed: VerificationMessage;
  try {
    parsed = parseVerificationMessage(message.body);
  } catch (error) {
    // no trustworthy miner identity to record a row against: the DLQ (and its alarm) carries it
    const reason = asError(error).message;
    deps.log.info(VerifierLog.Poison, { reason });
    await deps.queue.deadLetter(message.body, reason);
    await deps.queue.delete(message.receiptHandle);
    return 'poison';
  }
  const ids = { roundId: parsed.roundId, hotkey: parsed.hotkey, uid: parsed.uid, attempt: parsed.attempt };
  const started = Date.now();
  let outcome: VerifiedOutcome;
  let poison = false;
  try {
    outcome = await verifyBundle(deps, parsed, maxBundleBytes);
  } catch (error) {
    if (error instanceof RowCheckerFaultError) {
      deps.log.error(VerifierLog.CheckerFault, { ...ids, reason: error.message });
      return 'checker fault';
    }
    if (!(error instanceof PoisonError)) {
      deps.log.info(VerifierLog.Retry, { ...ids, error: asError(error).message });
      return 'retry';
    }
    poison = true;
    const reason = `invalid proof bundle: ${error.message}`.slice(0, 500);
    deps.log.info(VerifierLog.Poison, { ...ids, reason });
    outcome = {
      hotkey: parsed.hotkey,
      uid: parsed.uid,
      roundId: parsed.roundId,
      gpuName: null,
      numGpus: null,
      error: reason,
      attempts: parsed.attempt,
      durationMs: Date.now() - started,
      verifier: 'cpu',
      rowsChecked: 0,
      entriesChecked: 0,
      bundleKey: parsed.bundleKey,
    };
  }
  let stored: 'recorded' | 'duplicate';
  try {
    // the row first, then the DLQ copy: a crash between them redelivers, and the row is idempotent
    stored = await deps.results.recordFinal(outcome);
    if (poison) await deps.queue.deadLetter(message.body, outcome.error ?? 'poison');
  } catch (error) {
    deps.log.info(VerifierLog.Retry, { ...ids, error: asError(error).message });
    return 'retry';
  }
  deps.log.info(VerifierLog.Result, {
    ...ids,
    [VerifierOutcome.field]: outcome.gpuName !== null ? VerifierOutcome.success : VerifierOutcome.failure,
    verifier: outcome.verifier,
    rowsChecked: outcome.rowsChecked,
    entriesChecked: outcome.entriesChecked,
    stored,
    ...(outcome.error !== undefined ? { reason: outcome.error } : {}),
  });
  await deps.queue.delete(message.receiptHandle);
  return poison ? 'poison' : stored;
}

async function verifyBundle(
  deps: VerifierDeps,
  message: VerificationMessage,
  maxBundleBytes: number,
): Promise<VerifiedOutcome> {
  const started = Date.now();
  let bytes: Buffer;
  try {
    bytes = await deps.bundles.get(message.bundleKey, Math.min(message.bundleBytes, maxBundleBytes));
  } catch (error) {
    if (error instanceof BundleMissingError || error instanceof ValidationError)
      throw new PoisonError(error.message);
    throw error;
  }
  if (bytes.length !== message.bundleBytes || bundleDigest(bytes) !== message.bundleSha256) {
    throw new PoisonError('bundle bytes differ from the message (size or SHA-256)');
  }
  let bundle: ProofBundle;
  try {
    bundle = decodeBundle(bytes, maxBundleBytes);
  } catch (error) {
    throw new PoisonError(asError(error).message);
  }
  const { header } = bundle;
  if (header.roundId !== message.roundId || header.hotkey !== message.hotkey || header.uid !== message.uid) {
    throw new PoisonError('bundle header names another round, hotkey or uid');
  }
  const merkle = checkMerklePaths(bundle);
  // A bundle written before a deploy changed the payload protocol comes from another generator, which
  // this checker does not regenerate: its sampled verdict (made with its own generator) stands, in either mode.
  const otherProtocol =
    header.protocol === PAYLOAD_PROTOCOL
      ? undefined
      : `bundle from payload protocol ${header.protocol ?? '3 or earlier (unrecorded)'}, this checker's is ${PAYLOAD_PROTOCOL}`;
  const checked = otherProtocol === undefined ? await runChecker(deps, bytes) : undefined;
  const notRun = otherProtocol ?? (checked instanceof RowCheckError ? checked.message : undefined);
  if (notRun !== undefined) {
    // report mode (or another protocol): the checker must not fail a miner the sampled check passed; say so loudly
    deps.log.info(VerifierLog.Discrepancy, {
      roundId: header.roundId,
      hotkey: header.hotkey,
      uid: header.uid,
      mode: deps.mode,
      reason: `row check did not run: ${notRun}`,
    });
  }
  const report: RowCheckReport =
    checked === undefined || checked instanceof RowCheckError
      ? { device: 'cpu', deviceName: 'none', seconds: 0, entriesChecked: 0, gpus: [] }
      : checked;
  const byGpu = new Map(report.gpus.map((g) => [g.gpu, g]));
  const rowFailures: string[] = [];
  let rowPasses = 0;
  for (const g of header.gpus) {
    const merkleReason = merkle.get(g.gpu);
    if (merkleReason !== undefined) continue;
    const gpuReport = byGpu.get(g.gpu);
    if (gpuReport === undefined || gpuReport.rowsChecked !== g.rows.length) {
      if (notRun === undefined) rowFailures.push(`GPU ${g.gpu}: row check did not cover every row`);
      continue;
    }
    if (gpuReport.wrongValues > 0) rowFailures.push(describeWrong(header.gpuName, gpuReport, header.n));
    else rowPasses++;
  }
  const required = requiredPasses(header.numGpus);
  const merklePasses = header.gpus.length - merkle.size;
  const enforced = rowPasses >= required;
  const verifier = report.device === 'cuda' ? 'gpu' : 'cpu';
  const ids = { roundId: header.roundId, hotkey: header.hotkey, uid: header.uid, verifier };
  if (rowFailures.length > 0) {
    deps.log.info(VerifierLog.Discrepancy, {
      ...ids,
      mode: deps.mode,
      sampledPassed: header.sampled.passed,
      gpusFailed: rowFailures.length,
      reason: rowFailures[0],
    });
  }
  let error: string | undefined;
  if (!header.sampled.passed) {
    error = header.sampled.reason ?? 'sampled check failed';
  } else if (merklePasses < required) {
    error = `verification failed: ${merklePasses}/${header.numGpus} GPUs passed (${[...merkle.values()][0]})`;
  } else if (deps.mode === 'enforce' && notRun === undefined && !enforced) {
    error = `row check failed: ${rowPasses}/${header.numGpus} GPUs passed (${rowFailures[0] ?? [...merkle.values()][0] ?? 'no row check'})`;
  }
  const rowsChecked = report.gpus.reduce((s, g) => s + g.rowsChecked, 0);
  return {
    hotkey: header.hotkey,
    uid: header.uid,
    roundId: header.roundId,
    gpuName: error === undefined ? header.gpuName : null,
    numGpus: error === undefined ? header.numGpus : null,
    ...(error !== undefined ? { error: error.slice(0, 500) } : {}),
    attempts: message.attempt,
    durationMs: Date.now() - started,
    verifier,
    rowsChecked,
    entriesChecked: report.entriesChecked,
    bundleKey: message.bundleKey,
  };
}

/** Every Merkle path of every row against its GPU's committed root; returns the failures by GPU. */
export function checkMerklePaths(bundle: ProofBundle): Map<number, string> {
  const { header } = bundle;
  const depth = proofLength(header.n);
  const failures = new Map<number, string>();
  header.gpus.forEach((g, k) => {
    const root = Buffer.from(g.root, 'hex');
    for (let r = 0; r < g.rows.length; r++) {
      const path = g.paths[r] ?? [];
      const row = bundle.rows[k]?.[r];
      if (row === undefined || path.length !== depth) {
        failures.set(g.gpu, `GPU ${g.gpu}: Merkle path of row ${g.rows[r]} has the wrong depth`);
        return;
      }
      const siblings = path.map((h) => Buffer.from(h, 'hex'));
      if (!verifyMerkleProof(row, siblings, root, g.rows[r] as number)) {
        failures.set(g.gpu, `GPU ${g.gpu}: Merkle path of row ${g.rows[r]} does not match the root`);
        return;
      }
    }
  });
  return failures;
}

function describeWrong(gpuName: string, g: RowCheckGpu, n: number): string {
  const first =
    g.firstWrong === null
      ? ''
      : `; first at row ${g.firstWrong.row} col ${g.firstWrong.col}: expected ${fmt(g.firstWrong.expected)}, got ${fmt(g.firstWrong.got)}`;
  const rel = g.maxRelError === null ? 'non-finite' : g.maxRelError.toExponential(2);
  return (
    `GPU ${g.gpu} (${gpuName}): ${g.wrongValues} of ${g.entriesChecked} values wrong in ${g.wrongRows} of ` +
    `${g.rowsChecked} rows (n = ${n}, max relative error ${rel})${first}`
  );
}

function fmt(v: number | null): string {
  return v === null ? 'non-finite' : Number(v.toPrecision(8)).toString();
}

/**
 * The checker's report. In report mode a checker error comes back as a value; in enforce mode it is
 * poison when it is the bundle's: exit 2, or a crash or stall after which the same checker passes the
 * known-honest self-test (redelivering a bundle that breaks the checker would only loop it to the DLQ
 * without a row). Otherwise the checker is at fault ({@link RowCheckerFaultError}).
 */
async function runChecker(deps: VerifierDeps, bytes: Buffer): Promise<RowCheckReport | RowCheckError> {
  const dir = await mkdtemp(join(deps.workDir ?? tmpdir(), 'pog-bundle-'));
  try {
    const file = join(dir, 'bundle.pogb');
    await writeFile(file, bytes);
    return await deps.rowCheck(file);
  } catch (error) {
    if (!(error instanceof RowCheckError)) throw error;
    if (error.kind === 'closed') throw new RowCheckerFaultError(error.message);
    if (deps.mode === 'report') return error;
    if (error.kind !== 'invalid-bundle' && !(await passesSelfTest(deps, dir))) {
      throw new RowCheckerFaultError(`row checker failed its self-test after: ${error.message}`);
    }
    throw new PoisonError(error.message);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether the checker (restarted after a crash or stall) passes every value of a known-honest bundle. */
async function passesSelfTest(deps: VerifierDeps, dir: string): Promise<boolean> {
  const file = join(dir, 'self-test.pogb');
  await writeFile(file, knownHonestBundle());
  try {
    const report = await deps.rowCheck(file);
    const gpu = report.gpus[0];
    return report.gpus.length === 1 && gpu?.rowsChecked === KNOWN_HONEST.rows.length && gpu.wrongValues === 0;
  } catch {
    return false;
  }
}
