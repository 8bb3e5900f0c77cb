import { type DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { PogOutcome, PogResultSink } from '../ports.js';
import { parseWith } from '../validation.js';
import { batchWriteAll } from './batch-write.js';

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
});
export type PogRow = z.infer<typeof PogRowSchema>;

export interface GpuSpecs {
  readonly gpu_name: string;
  readonly num_gpus: number;
}

/** Called after a row is stored, e.g. to count the round's progress. */
export type RecordedHook = (outcome: PogOutcome) => Promise<void>;

/** The newest row with a GPU name and count (the reference's `get_pog_specs`), else null. */
export function newestSpecs(rowsNewestFirst: readonly PogRow[]): GpuSpecs | null {
  for (const row of rowsNewestFirst) {
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
    const row: PogRow = {
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
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: row }));
    const keys = await this.keysNewestFirst(outcome.hotkey);
    const stale = keys.slice(POG_ROWS_KEPT);
    if (stale.length > 0) {
      await batchWriteAll(
        this.doc,
        this.tableName,
        stale.map((sk) => ({ DeleteRequest: { Key: { hotkey: outcome.hotkey, sk } } })),
      );
    }
    await this.options.onRecorded?.(outcome);
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
