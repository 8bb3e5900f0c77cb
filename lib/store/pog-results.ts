import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { GpuSpecs, PogOutcome, PogResultSink } from '../ports.js';
import { parseWith } from '../validation.js';
import { batchWriteAll, StoreError } from './batch-write.js';
import { isConditionFailure, updateIf } from './conditional.js';
import { CoordinationStore, type TransactUpdate } from './coordination.js';

/** The reference keeps the 4 newest rows per hotkey (§4.6: the SQL says LIMIT 4). */
export const POG_ROWS_KEPT = 4;

export const PogRowSchema = z.object({
  hotkey: z.string().min(1),
  sk: z.string().min(1),
  uid: z.number().int().nonnegative(),
  roundId: z.string(),
  gpuName: z.string().nullable(),
  numGpus: z.number().int().nullable(),
  error: z.string().optional(),
  attempts: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  createdAt: z.string(),
  /** Who settled the row: `gpu`/`cpu` (the row checker's device) or `worker` (failure after the retries). */
  verifier: z.string().optional(),
  rowsChecked: z.number().int().nonnegative().optional(),
  entriesChecked: z.number().int().nonnegative().optional(),
});
export type PogRow = z.infer<typeof PogRowSchema>;

/** Called after a row is stored, e.g. to count the round's progress. */
export type RecordedHook = (outcome: PogOutcome) => Promise<void>;

/**
 * The newest row with a GPU name and count among the hotkey's {@link POG_ROWS_KEPT} newest rows (the
 * reference's `get_pog_specs` over its LIMIT 4), else null. The window is applied here, on read, so
 * the rule holds even where a writer may not trim (the worker has no delete permission).
 */
export function newestSpecs(rowsNewestFirst: readonly PogRow[]): GpuSpecs | null {
  for (const row of rowsNewestFirst.slice(0, POG_ROWS_KEPT)) {
    if (row.gpuName !== null && row.numGpus !== null) return { gpu_name: row.gpuName, num_gpus: row.numGpus };
  }
  return null;
}

/**
 * PoG results on DynamoDB with the reference's newest-4-per-hotkey rule. Also the proof job's
 * {@link PogResultSink}.
 */
export class PogResultStore implements PogResultSink {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { readonly now?: () => Date; readonly onRecorded?: RecordedHook } = {},
  ) {}

  /** Inserts one row (failure rows have null specs), then trims the hotkey to its 4 newest rows. */
  async record(outcome: PogOutcome): Promise<void> {
    const createdAt = (this.options.now?.() ?? new Date()).toISOString();
    const row = rowOf(outcome, createdAt);
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: row }));
    await this.trim(outcome.hotkey);
    await this.options.onRecorded?.(outcome);
  }

  /** Deletes the hotkey's rows beyond its {@link POG_ROWS_KEPT} newest. */
  async trim(hotkey: string): Promise<void> {
    const stale = (await this.keysNewestFirst(hotkey)).slice(POG_ROWS_KEPT);
    if (stale.length > 0) {
      await batchWriteAll(
        this.doc,
        this.tableName,
        stale.map((sk) => ({ DeleteRequest: { Key: { hotkey, sk } } })),
      );
    }
  }

  /** Rows of one hotkey, newest first. */
  async rows(hotkey: string): Promise<PogRow[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'hotkey = :h',
        ExpressionAttributeValues: { ':h': hotkey },
        ScanIndexForward: false,
      }),
    );
    return (out.Items ?? []).map((item) => parseWith(PogRowSchema, item, 'PoG row'));
  }

  /** The specs that score a hotkey: its newest successful row, or null. */
  async specs(hotkey: string): Promise<GpuSpecs | null> {
    return newestSpecs(await this.rows(hotkey));
  }

  /**
   * The newest successful specs of every hotkey, read with one paged scan: the table holds at most
   * 4 small rows per miner, so a scan costs fewer requests than one query per hotkey.
   */
  async allSpecs(): Promise<Record<string, GpuSpecs>> {
    const byHotkey = new Map<string, PogRow[]>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }),
      );
      for (const item of out.Items ?? []) {
        const row = parseWith(PogRowSchema, item, 'PoG row');
        const list = byHotkey.get(row.hotkey) ?? [];
        list.push(row);
        byHotkey.set(row.hotkey, list);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    const specs: Record<string, GpuSpecs> = {};
    for (const [hotkey, rows] of byHotkey) {
      rows.sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
      const found = newestSpecs(rows);
      if (found !== null) specs[hotkey] = found;
    }
    return specs;
  }

  /** Deletes every row of the given hotkeys (non-queryable uids, D9 hotkey change). */
  async deleteHotkeys(hotkeys: Iterable<string>): Promise<number> {
    let deleted = 0;
    for (const hotkey of new Set(hotkeys)) {
      const keys = await this.keysNewestFirst(hotkey);
      if (keys.length === 0) continue;
      await batchWriteAll(
        this.doc,
        this.tableName,
        keys.map((sk) => ({ DeleteRequest: { Key: { hotkey, sk } } })),
      );
      deleted += keys.length;
    }
    return deleted;
  }

  private async keysNewestFirst(hotkey: string): Promise<string[]> {
    const keys: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'hotkey = :h',
          ExpressionAttributeValues: { ':h': hotkey },
          ProjectionExpression: 'sk',
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) keys.push(String(item.sk));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return keys;
  }
}

/** Where one (round, hotkey) stands: attempts are counted here, not from SQS receive counts. */
export const AttemptStateSchema = z.object({
  // a final item written for a pair never attempted had no count before recordFinal set one
  attempts: z.number().int().nonnegative().default(0),
  /** `attempting`: sessions may run; `verifying`: a bundle awaits the verifier; `final`: its row exists. */
  state: z.enum(['attempting', 'verifying', 'final']),
  lastReason: z.string().optional(),
  bundleKey: z.string().optional(),
  /**
   * Epoch seconds until which a session of this pair may be running: the end of the invocation that
   * began it. No second session starts before then (a twin delivery waits it out).
   */
  leaseUntil: z.number().optional(),
  /**
   * The verification message body of the bundle being handed over (lib/pog/bundle.ts's format, which
   * the worker owns), recorded with the `verifying` mark before the bundle is put and the message
   * sent, so a redelivery can finish the hand-over without a second session. Absent on items marked
   * before the hand-over was resumable (their message was sent first).
   */
  handOver: z.string().min(1).max(4096).optional(),
  /** Epoch seconds at which {@link handOver}'s message was sent; absent while it may be unsent. */
  handOverSentAt: z.number().optional(),
});
export type AttemptState = z.infer<typeof AttemptStateSchema>;

/** What {@link PogOutcomeStore.beginAttempt} decided. */
export type AttemptStart =
  /** Counted: this invocation's session may run (attempt is 1-based). */
  | { readonly kind: 'begun'; readonly attempt: number }
  /** Another invocation's session may still be running, until `leaseUntil` (epoch seconds). */
  | { readonly kind: 'leased'; readonly leaseUntil: number }
  /** The pair is past attempting: a bundle was handed to the verifier, or its final row exists. */
  | { readonly kind: 'past'; readonly state: 'verifying' | 'final' }
  /** The limit is reached and no session may still be running. */
  | { readonly kind: 'closed' };

/** A final row's extra facts (the verifier's figures). */
export interface FinalRowDetail {
  readonly verifier?: string;
  readonly rowsChecked?: number;
  readonly entriesChecked?: number;
}

export type FinalWrite = 'recorded' | 'duplicate';

/** Attempt state items live a while past the round, then expire (TTL). */
const ATTEMPT_TTL_SECONDS = 3 * 24 * 3600;

function attemptKey(roundId: string, hotkey: string): string {
  return `${ATTEMPT_KEY_PREFIX}${roundId}#${hotkey}`;
}

/** Partition-key prefix of attempt state items on the coordination table (the worker's IAM LeadingKeys). */
export const ATTEMPT_KEY_PREFIX = 'pog#';

/**
 * A miner's open allocation: under the attempt prefix, so the worker's grant covers it. Per hotkey, not
 * per round: a leaked allocation lasts the miner's `timeline` (1 day) and would block later rounds too.
 */
function allocationKey(hotkey: string): string {
  return `${ATTEMPT_KEY_PREFIX}allocation#${hotkey}`;
}

/** A miner holds an allocation at most `timeline` = 1 day (reference §4.2); the ledger entry a little longer. */
const ALLOCATION_TTL_SECONDS = 25 * 3600;

const AllocationItemSchema = z.object({ publicKey: z.string().min(1).max(4096).optional() });

/**
 * The per-(round, hotkey) life of a challenge: durable attempt counts and state on the coordination table,
 * and exactly one final row in the results table. A final row is written in one transaction with
 * the state item's `final` mark, conditional on it not being final yet, so a redelivery, a retried
 * job or a second verifier never writes a second row. The round progress counts the one winner.
 *
 * The worker uses attempt state and {@link recordFailure}; the verifier uses {@link recordVerified}
 * and {@link recordFailure}.
 */
export class PogOutcomeStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: { readonly pogResults: string; readonly coordination: string },
    private readonly netuid: number,
    private readonly options: {
      readonly now?: () => Date;
      /** Trim the hotkey's rows beyond the newest 4 after a write (needs delete permission). */
      readonly trim?: boolean;
    } = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The state of (round, hotkey), or null before its first attempt. */
  async attemptState(roundId: string, hotkey: string): Promise<AttemptState | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tables.coordination,
        Key: { pk: attemptKey(roundId, hotkey) },
        ConsistentRead: true,
      }),
    );
    if (out.Item === undefined) return null;
    return parseWith(AttemptStateSchema, out.Item, 'attempt state');
  }

  /**
   * Counts one more attempt before it runs (so an invocation that dies mid-session still counts) and
   * takes the pair's session lease until `leaseUntil` (epoch seconds, the invocation's own end), so a
   * twin delivery never opens a second session with the miner while this one may be alive.
   */
  async beginAttempt(
    roundId: string,
    hotkey: string,
    limit: number,
    leaseUntil: number,
  ): Promise<AttemptStart> {
    const nowS = this.now().getTime() / 1000;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.coordination,
          Key: { pk: attemptKey(roundId, hotkey) },
          UpdateExpression:
            'SET #s = if_not_exists(#s, :attempting), expiresAt = :exp, leaseUntil = :lease ADD attempts :one',
          ConditionExpression:
            '(attribute_not_exists(attempts) OR attempts < :limit) AND (attribute_not_exists(#s) OR #s = :attempting)' +
            ' AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now)',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: {
            ':attempting': 'attempting',
            ':one': 1,
            ':limit': limit,
            ':now': nowS,
            ':lease': leaseUntil,
            ':exp': Math.floor(nowS) + ATTEMPT_TTL_SECONDS,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { kind: 'begun', attempt: Number(out.Attributes?.attempts) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // the condition names three causes: read which one holds. A live lease wins over the limit: the
    // last attempt's session may still be running, and its outcome, not a twin's, ends the pair
    const state = await this.attemptState(roundId, hotkey);
    if (state?.state === 'verifying' || state?.state === 'final') return { kind: 'past', state: state.state };
    if (state?.leaseUntil !== undefined && state.leaseUntil > nowS) {
      return { kind: 'leased', leaseUntil: state.leaseUntil };
    }
    return { kind: 'closed' };
  }

  /** Gives back an attempt that our own fault ended before the miner was contacted. */
  async refundAttempt(roundId: string, hotkey: string): Promise<void> {
    await updateIf(this.doc, {
      TableName: this.tables.coordination,
      Key: { pk: attemptKey(roundId, hotkey) },
      UpdateExpression: 'ADD attempts :minus REMOVE leaseUntil',
      ConditionExpression: 'attempts > :zero AND #s = :attempting',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':minus': -1, ':zero': 0, ':attempting': 'attempting' },
    });
  }

  /**
   * Keeps the last miner fault, for the failure row written when the attempts run out, and ends the
   * session's lease (the session is over: the retry may start at once).
   */
  async noteFault(roundId: string, hotkey: string, reason: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tables.coordination,
        Key: { pk: attemptKey(roundId, hotkey) },
        UpdateExpression: 'SET lastReason = :r REMOVE leaseUntil',
        ExpressionAttributeValues: { ':r': reason.slice(0, 500) },
      }),
    );
  }

  /**
   * The session public key of the miner's allocation that no deallocation has confirmed (an invocation
   * killed mid-session never ran its own), or null. The key is public: the miner holds it too.
   */
  async openAllocation(hotkey: string): Promise<string | null> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tables.coordination,
        Key: { pk: allocationKey(hotkey) },
        ConsistentRead: true,
      }),
    );
    if (out.Item === undefined) return null;
    return parseWith(AllocationItemSchema, out.Item, 'allocation ledger').publicKey ?? null;
  }

  /** Records the key of an allocation about to be requested, before the request (it replaces any older one). */
  async noteAllocating(hotkey: string, roundId: string, publicKey: string): Promise<void> {
    const nowS = Math.floor(this.now().getTime() / 1000);
    await this.doc.send(
      new PutCommand({
        TableName: this.tables.coordination,
        Item: {
          pk: allocationKey(hotkey),
          publicKey,
          roundId,
          since: nowS,
          expiresAt: nowS + ALLOCATION_TTL_SECONDS,
        },
      }),
    );
  }

  /** The allocation of `publicKey` is gone; a newer allocation's entry is left alone. */
  async noteReleased(hotkey: string, publicKey: string): Promise<void> {
    await updateIf(this.doc, {
      TableName: this.tables.coordination,
      Key: { pk: allocationKey(hotkey) },
      UpdateExpression: 'REMOVE publicKey',
      ConditionExpression: 'publicKey = :k',
      ExpressionAttributeValues: { ':k': publicKey },
    });
  }

  /**
   * Starts the hand-over of a passed attempt's bundle: state `verifying`, recording the verification
   * message before the bundle is put and the message sent. The session's lease stays until
   * {@link markHandOverSent}, so a twin waits for this invocation rather than sending the message for a
   * bundle not yet put. False when the pair is final or holds another attempt's bundle; marking the
   * same bundle again (a retried request) is true.
   */
  async markVerifying(roundId: string, hotkey: string, bundleKey: string, message: string): Promise<boolean> {
    return updateIf(this.doc, {
      TableName: this.tables.coordination,
      Key: { pk: attemptKey(roundId, hotkey) },
      UpdateExpression: 'SET #s = :verifying, bundleKey = :k, handOver = :m',
      ConditionExpression:
        'attribute_exists(pk) AND (#s = :attempting OR (#s = :verifying AND bundleKey = :k))',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: {
        ':verifying': 'verifying',
        ':attempting': 'attempting',
        ':k': bundleKey,
        ':m': message,
      },
    });
  }

  /**
   * The hand-over's verification message is on the queue: redeliveries only ensure the verifier start.
   * A pair already final (the verifier was quicker) is left alone.
   */
  async markHandOverSent(roundId: string, hotkey: string, bundleKey: string): Promise<void> {
    await updateIf(this.doc, {
      TableName: this.tables.coordination,
      Key: { pk: attemptKey(roundId, hotkey) },
      UpdateExpression: 'SET handOverSentAt = :now REMOVE leaseUntil',
      ConditionExpression: '#s = :verifying AND bundleKey = :k',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: {
        ':now': Math.floor(this.now().getTime() / 1000),
        ':verifying': 'verifying',
        ':k': bundleKey,
      },
    });
  }

  /**
   * Undoes a hand-over whose bundle could not be put (our fault, before any message named it): the
   * pair attempts again, the attempt given back, the lease ended, so the redelivery runs a new session
   * instead of sending a message for a bundle that does not exist.
   */
  async abandonHandOver(roundId: string, hotkey: string, bundleKey: string): Promise<void> {
    await updateIf(this.doc, {
      TableName: this.tables.coordination,
      Key: { pk: attemptKey(roundId, hotkey) },
      UpdateExpression: 'SET #s = :attempting ADD attempts :minus REMOVE bundleKey, handOver, leaseUntil',
      ConditionExpression:
        '#s = :verifying AND bundleKey = :k AND attribute_not_exists(handOverSentAt) AND attempts > :zero',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: {
        ':attempting': 'attempting',
        ':verifying': 'verifying',
        ':k': bundleKey,
        ':minus': -1,
        ':zero': 0,
      },
    });
  }

  /** The verifier's success row (every challenged row checked): the final result of (round, hotkey). */
  async recordVerified(outcome: PogOutcome, detail: FinalRowDetail = {}): Promise<FinalWrite> {
    if (outcome.gpuName === null || outcome.numGpus === null) {
      throw new StoreError('recordVerified needs a GPU name and count; use recordFailure');
    }
    return this.recordFinal(outcome, detail);
  }

  /** A failure row (null specs, the reason kept) as the final result of (round, hotkey). */
  async recordFailure(
    outcome: Omit<PogOutcome, 'gpuName' | 'numGpus'> & { readonly error: string },
    detail: FinalRowDetail = {},
  ): Promise<FinalWrite> {
    return this.recordFinal({ ...outcome, gpuName: null, numGpus: null }, detail);
  }

  /**
   * The final row, the state's `final` mark and the round's progress count in one transaction: a crash
   * or an error after it leaves nothing to redo, so a redelivery that finds `duplicate` has lost nothing.
   */
  private async recordFinal(outcome: PogOutcome, detail: FinalRowDetail): Promise<FinalWrite> {
    const row = rowOf(outcome, this.now().toISOString(), detail);
    const progress = new CoordinationStore(this.doc, this.tables.coordination).roundProgressUpdate(
      this.netuid,
      outcome.roundId,
    );
    let written = await this.writeFinal(outcome, row, progress);
    // the round moved on (or none was started): a row of an older round counts towards none
    if (written === 'stale round') written = await this.writeFinal(outcome, row);
    if (written !== 'recorded') return 'duplicate';
    if (this.options.trim === true) {
      await new PogResultStore(this.doc, this.tables.pogResults).trim(outcome.hotkey);
    }
    return 'recorded';
  }

  /** The final-row transaction: the state's mark (0), the row (1) and, when counted, the round's progress (2). */
  private async writeFinal(
    outcome: PogOutcome,
    row: PogRow,
    progress?: TransactUpdate,
  ): Promise<FinalWrite | 'stale round'> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tables.coordination,
                Key: { pk: attemptKey(outcome.roundId, outcome.hotkey) },
                // a pair never attempted (its window closed in the queue) gets its count too
                UpdateExpression:
                  'SET #s = :final, expiresAt = :exp, attempts = if_not_exists(attempts, :zero)',
                ConditionExpression: 'attribute_not_exists(#s) OR #s <> :final',
                ExpressionAttributeNames: { '#s': 'state' },
                ExpressionAttributeValues: {
                  ':final': 'final',
                  ':zero': 0,
                  ':exp': Math.floor(this.now().getTime() / 1000) + ATTEMPT_TTL_SECONDS,
                },
              },
            },
            {
              Put: {
                TableName: this.tables.pogResults,
                Item: row,
                ConditionExpression: 'attribute_not_exists(sk)',
              },
            },
            ...(progress === undefined ? [] : [{ Update: progress }]),
          ],
        }),
      );
      return 'recorded';
    } catch (error) {
      const failed = failedTransactionConditions(error);
      if (failed === null) throw error;
      // DynamoDB reports every item's check: only the round's failing still lets the row be written
      return failed.length === 1 && failed[0] === PROGRESS_ITEM ? 'stale round' : 'duplicate';
    }
  }
}

/** Where {@link PogOutcomeStore}'s final-row transaction puts the round's progress count. */
const PROGRESS_ITEM = 2;

/** The indexes of a cancelled transaction's items whose condition failed; null for any other error. */
function failedTransactionConditions(error: unknown): number[] | null {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return null;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
  return failed.length === 0 ? null : failed;
}

/** One results row: the outcome, its sort key (time, then round) and what the verifier checked. */
function rowOf(outcome: PogOutcome, createdAt: string, detail: FinalRowDetail = {}): PogRow {
  return {
    hotkey: outcome.hotkey,
    sk: `${createdAt}#${outcome.roundId}`,
    uid: outcome.uid,
    roundId: outcome.roundId,
    gpuName: outcome.gpuName,
    numGpus: outcome.numGpus,
    ...(outcome.error !== undefined ? { error: outcome.error.slice(0, 500) } : {}),
    attempts: outcome.attempts,
    durationMs: outcome.durationMs,
    createdAt,
    ...(detail.verifier !== undefined ? { verifier: detail.verifier } : {}),
    ...(detail.rowsChecked !== undefined ? { rowsChecked: detail.rowsChecked } : {}),
    ...(detail.entriesChecked !== undefined ? { entriesChecked: detail.entriesChecked } : {}),
  };
}
